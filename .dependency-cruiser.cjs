/** Imports point inward: domain <- ports <- adapters/use cases <- handlers <- infra. */
module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', from: {}, to: { circular: true } },
    {
      name: 'domain-is-pure',
      comment: 'shared/domain imports nothing of ours outside itself and no AWS SDK; chinese-days is data (the holidays of each year)',
      severity: 'error',
      from: { path: '^shared/domain' },
      to: { pathNot: ['^shared/domain', '^node_modules/decimal\\.js', '^node_modules/chinese-days/(dist/chinese-days\\.json|package\\.json)$'], dependencyTypesNot: ['core'] },
    },
    {
      name: 'ports-import-domain-only',
      severity: 'error',
      from: { path: '^shared/ports' },
      to: { pathNot: ['^shared/domain', '^shared/ports'], dependencyTypesNot: ['core'] },
    },
    {
      name: 'shared-does-not-import-outer-layers',
      severity: 'error',
      from: { path: '^shared' },
      to: { path: ['^functions', '^infra', '^workflows', '^test'] },
    },
    {
      name: 'functions-do-not-import-other-functions',
      comment: 'A function imports only its own folder: logic two functions share lives in shared/ (use cases, contracts)',
      severity: 'error',
      from: { path: '^functions/([^/]+)/' },
      to: { path: '^functions/', pathNot: '^functions/$1/' },
    },
    {
      name: 'only-the-edge-speaks-http',
      comment:
        'Status codes, requests and headers live in shared/http and the handlers; the domain, ports, adapters, use cases, contracts, workflows and each function\'s use case take typed inputs and return results or domain errors',
      severity: 'error',
      from: { path: ['^shared/(domain|ports|adapters|use-cases|contracts)/', '^workflows/', '^functions/[^/]+/(use-case|schema)\\.ts$'] },
      to: { path: '^shared/http/' },
    },
    {
      name: 'functions-do-not-import-infra',
      severity: 'error',
      from: { path: '^(functions|workflows)' },
      to: { path: ['^infra', '^test'] },
    },
    {
      name: 'only-tests-import-tests',
      severity: 'error',
      from: { pathNot: '^test' },
      to: { path: '^test' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // Resolve through a symlinked node_modules (a checkout sharing another's) as if it were in place.
    preserveSymlinks: true,
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
