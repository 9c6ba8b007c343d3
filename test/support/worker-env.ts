/**
 * Runs in every test worker before its file. A worker starts with the environment of the run's
 * process, where the integration tests' local stack set its handlers' environment: a handler under
 * a unit test must not count its client's requests in that stack's name (docs/limits.md). A test of
 * the limits sets them itself, and a stack a test starts sets them again.
 */
delete process.env.API_CLIENT_LIMITS;
