import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintToken } from '../../infra/local/issuer.ts';
import { businessDateAt, PLATFORM_CALENDAR } from '../../shared/domain/business-date.ts';
import { openApiDocument } from '../../shared/http/openapi.ts';
import { seedFrom } from '../support/seed.ts';
import { ROUTES, isWrite, type RouteSpec } from '../../shared/http/routes.ts';
import { lenderBody, loanBody, programBody } from '../integration/support/world.ts';
import { applicationBody } from '../integration/support/review.ts';
import { bodyBytes, caseArbitrary, pathOf, refusalOf, type Caller, type FuzzCase } from './support/cases.ts';
import { CASE_HEADER, differences, startFuzzStack, takeWrites, type FuzzStack } from './support/fuzz-stack.ts';
import { BODIES, FUZZ_CLOCK, FUZZ_WORLD as w, QUERY_VALUES } from './support/probes.ts';

/**
 * The contract fuzzer (docs/testing.md): for every route of the API, FUZZ_CASES requests (150 in
 * the suite, 1,000 from `npm run test:fuzz`) of every shape, from every kind of caller. No answer may be a 5xx; a refused
 * request (4xx) may change nothing: no AWS write is made while it is served, and the stack's
 * whole state is the same after the route's refused requests as before them.
 */

const CASES = Number(process.env.FUZZ_CASES ?? 150);
const SEED = seedFrom('FUZZ_SEED', 20261207);
/** One route key, or several separated by commas. */
const ONLY_ROUTES = process.env.FUZZ_ROUTE?.split(',').map((key) => key.trim());
const ONLY_CASE = process.env.FUZZ_CASE !== undefined ? Number(process.env.FUZZ_CASE) : undefined;
/** Requests in flight at once: enough to keep DynamoDB Local busy on the other core. */
const CONCURRENCY = 8;
/** A route's cases on a loaded machine; a hang is still caught. */
const ROUTE_TIMEOUT_MS = 600_000;

const routes = ROUTES.filter((r) => ONLY_ROUTES === undefined || ONLY_ROUTES.includes(r.routeKey)) as readonly RouteSpec[];

/** Each route's cases come from the run's seed and the route, so one route's cases do not move when another's change. */
function routeSeed(route: RouteSpec): number {
  let h = SEED | 0;
  for (const ch of route.routeKey) h = Math.imul(h ^ ch.charCodeAt(0), 16777619);
  return h | 0;
}

interface Numbered {
  readonly index: number;
  readonly case: FuzzCase;
  readonly refusal: string | null;
}

let fuzz: FuzzStack;
let today: string;
const tokens = {} as Record<Caller, string | undefined>;
const figures = { requests: 0, refused: 0, answered2xx: 0, answered4xx: 0, fingerprints: 0, startedAt: 0, cpuAtStart: process.cpuUsage() };

function casesOf(route: RouteSpec): Numbered[] {
  const all = fc.sample(caseArbitrary(route), { seed: routeSeed(route), numRuns: CASES });
  return all
    .map((c, index) => ({ index, case: c, refusal: refusalOf(route, c, today) }))
    .filter((n) => ONLY_CASE === undefined || n.index === ONLY_CASE);
}

interface Answer {
  readonly status: number;
  readonly text: string;
  readonly writes: string[];
}

async function send(route: RouteSpec, n: Numbered): Promise<Answer> {
  const [method] = route.routeKey.split(' ');
  const c = n.case;
  const caseId = `${route.operationId}#${n.index}`;
  const headers: Record<string, string> = { [CASE_HEADER]: caseId };
  const token = tokens[c.caller];
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  if (c.idempotencyKey !== undefined) headers['idempotency-key'] = c.idempotencyKey;
  const body = method === 'GET' ? undefined : bodyBytes(c);
  if (body !== undefined && c.contentType !== undefined) headers['content-type'] = c.contentType;
  const query = c.query === '' ? '' : `?${c.query}`;
  const response = await fetch(`${fuzz.baseUrl}${pathOf(route, c)}${query}`, { method, headers, body });
  const text = await response.text();
  figures.requests += 1;
  return { status: response.status, text, writes: takeWrites(caseId) };
}

/** How to play a case again, and what it sent and got. */
function report(route: RouteSpec, n: Numbered, answer: Answer, problem: string): string {
  const bytes = bodyBytes(n.case);
  const shown = bytes === undefined ? '(none)' : bytes.length > 400 ? `${bytes.subarray(0, 400).toString('utf8')}… (${bytes.length} bytes)` : bytes.toString('utf8');
  return [
    `${problem}`,
    `  replay: FUZZ_SEED=${SEED} FUZZ_ROUTE='${route.routeKey}' FUZZ_CASE=${n.index} npm run test:fuzz`,
    `  request: ${route.routeKey.split(' ')[0]} ${pathOf(route, n.case)}${n.case.query === '' ? '' : `?${n.case.query.slice(0, 300)}`} as ${n.case.caller}, Idempotency-Key ${JSON.stringify(n.case.idempotencyKey)}, content-type ${n.case.contentType}`,
    `  body: ${shown}`,
    `  contract: ${n.refusal === null ? 'may be answered' : `refused (${n.refusal})`}`,
    `  answer: ${answer.status} ${answer.text.slice(0, 400)}`,
    `  writes while served: ${answer.writes.join(', ') || 'none'}`,
  ].join('\n');
}

async function runAll(route: RouteSpec, cases: Numbered[], check: (n: Numbered, a: Answer) => string | null): Promise<string[]> {
  const problems: string[] = [];
  let next = 0;
  const worker = async () => {
    while (next < cases.length) {
      const n = cases[next++] as Numbered;
      const answer = await send(route, n);
      if (answer.status >= 200 && answer.status < 300) figures.answered2xx += 1;
      if (answer.status >= 400 && answer.status < 500) figures.answered4xx += 1;
      const problem = check(n, answer);
      if (problem !== null) problems.push(report(route, n, answer, problem));
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return problems;
}

/** Whether a 400's body names the field and the rule it broke (`details.path`, `details.rule`). */
function namesFieldAndRule(text: string): boolean {
  try {
    const details = (JSON.parse(text) as { details?: { path?: unknown; rule?: unknown } }).details;
    return typeof details?.path === 'string' && details.path !== '' && typeof details.rule === 'string' && details.rule !== '';
  } catch {
    return false;
  }
}

/** What every answer must be: no 5xx; a 4xx leaves no write behind; a 400 names the field and the rule. */
function common(n: Numbered, a: Answer): string | null {
  if (a.status >= 500) return `a ${a.status} answer`;
  if (a.status >= 400 && a.writes.length > 0) return `refused with ${a.status}, yet it wrote`;
  if (a.status === 400 && !namesFieldAndRule(a.text)) return 'a 400 that does not name the field and the rule';
  return null;
}

async function post(path: string, token: string, body: unknown, method = 'POST'): Promise<void> {
  const response = await fetch(`${fuzz.baseUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'idempotency-key': `setup-${path.replace(/[^A-Za-z0-9]/g, '')}-${Math.random().toString(36).slice(2)}` },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  if (response.status >= 300) throw new Error(`setting up the fuzz world: ${method} ${path} answered ${response.status} ${text}`);
}

/** The fuzz world: five lenders, a program, a loan and a written-off one, a repayment, a proposed adjustment, an application in review. */
async function createWorld(): Promise<void> {
  const lead = tokens.lead as string;
  for (const [id, roles] of [
    [w.lead, ['LEAD']],
    [w.bankA, ['PARTNER']],
    [w.bankB, ['PARTNER']],
    [w.bankC, ['PARTNER']],
    [w.guarantor, ['GUARANTOR']],
  ] as const) {
    await post('/v1/lenders', lead, lenderBody(id, [...roles]));
  }
  await post('/v1/programs', lead, programBody(w));
  for (const loanId of [w.loanId, w.writtenOffLoanId]) await post('/v1/loans', lead, loanBody(w, loanId));
  await post(`/v1/loans/${w.writtenOffLoanId}/write-off`, lead, { writeOffId: w.writeOffId, valueDate: '2026-11-10', reason: 'Fraud confirmed' });
  await post('/v1/repayments', lead, { repayments: [{ repaymentId: w.repaymentId, loanId: w.loanId, amountMinor: '100', currency: 'CNY', valueDate: '2026-11-10', channel: 'BANK_TRANSFER' }] });
  const maker = await mintToken({ scopes: ['finance'], clientId: 'fuzz-maker' });
  await post('/v1/adjustments', maker, { adjustmentId: w.adjustmentId, loanId: w.loanId, lenderId: w.bankA, counterparty: 'ESCROW', currency: 'CNY', component: 'INTEREST', direction: 'COUNTERPARTY_OWES_LENDER', amountMinor: '1', reason: 'Fuzz world' });
  await post('/v1/applications', lead, applicationBody(w.programId, w.applicationId, { leadApproval: { approved: true, reference: 'LA-FZ', approvedAt: '2026-11-19T08:00:00Z' } }));
  await quiesce();
}

/**
 * Waits until the world stands still: what the setup started (the stream's events, the review
 * asking its partners) has run, and two fingerprints a moment apart agree.
 */
async function quiesce(): Promise<void> {
  for (let attempt = 0; attempt < 60; attempt++) {
    await fuzz.stack.streams.settled();
    const before = await fuzz.fingerprint();
    await new Promise((resolve) => setTimeout(resolve, 500));
    if (differences(before, await fuzz.fingerprint()).length === 0) return;
  }
  throw new Error('the fuzz world did not come to rest within 30 s of its setup');
}

beforeAll(async () => {
  fuzz = await startFuzzStack(FUZZ_CLOCK);
  today = businessDateAt(FUZZ_CLOCK, PLATFORM_CALENDAR);
  const lead = await mintToken({ scopes: ['lead'] });
  Object.assign(tokens, {
    none: undefined,
    // A token of the right shape whose signature is not the issuer's.
    garbage: `${lead.slice(0, -8)}AAAAAAAA`,
    // Lead operations' token, expired two minutes ago.
    expired: await mintToken({ scopes: ['lead'], ttlSeconds: -120 }),
    lead,
    partnerA: await mintToken({ scopes: ['partner'], lenderId: w.bankA }),
    partnerC: await mintToken({ scopes: ['partner'], lenderId: w.bankC }),
    guarantor: await mintToken({ scopes: ['partner'], lenderId: w.guarantor }),
    finance: await mintToken({ scopes: ['finance'] }),
    financeA: await mintToken({ scopes: ['finance'], lenderId: w.bankA }),
  });
  await createWorld();
  figures.startedAt = performance.now();
  figures.cpuAtStart = process.cpuUsage();
}, 180_000);

afterAll(async () => {
  const seconds = (performance.now() - figures.startedAt) / 1000;
  const cpu = process.cpuUsage(figures.cpuAtStart);
  process.stderr.write(
    `[fuzz] seed ${SEED}: ${figures.requests} requests over ${routes.length} routes in ${seconds.toFixed(1)} s (${(figures.requests / seconds).toFixed(0)}/s, this process ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s of CPU); ` +
      `${figures.refused} refused by the contract, ${figures.answered2xx} answered 2xx, ${figures.answered4xx} 4xx; ${figures.fingerprints} fingerprints of the state\n`,
  );
  await fuzz?.stop();
}, 60_000);

describe('the contract fuzzer', () => {
  it('generates requests for every route of the OpenAPI document, a well-formed body for every write and a query for every route that takes one', () => {
    const document = openApiDocument() as { paths: Record<string, Record<string, unknown>> };
    const documented = Object.entries(document.paths).flatMap(([path, operations]) => Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`));
    expect(documented.sort()).toEqual(ROUTES.map((r) => r.routeKey).sort());
    const all = ROUTES as readonly RouteSpec[];
    expect(all.filter((r) => r.requestSchema !== undefined && BODIES[r.routeKey as keyof typeof BODIES] === undefined).map((r) => r.routeKey)).toEqual([]);
    expect(all.filter((r) => r.querySchema !== undefined && QUERY_VALUES[r.routeKey as keyof typeof QUERY_VALUES] === undefined).map((r) => r.routeKey)).toEqual([]);
    expect(all.filter((r) => isWrite(r) && r.requestSchema === undefined).map((r) => r.routeKey)).toEqual([]);
  });

  describe('requests the contract refuses are answered 4xx and change nothing', () => {
    for (const route of routes) {
      it(route.routeKey, async () => {
        const refused = casesOf(route).filter((n) => n.refusal !== null);
        figures.refused += refused.length;
        const before = await fuzz.fingerprint();
        const problems = await runAll(route, refused, (n, a) => common(n, a) ?? (a.status < 400 || a.status >= 500 ? `the contract refuses it, yet it was answered ${a.status}` : null));
        const after = await fuzz.fingerprint();
        figures.fingerprints += 2;
        const changed = differences(before, after);
        if (changed.length > 0) problems.push(`the state changed while only refused requests were served:\n  ${changed.join('\n  ')}`);
        expect(problems.slice(0, 5).join('\n\n'), `${problems.length} problems, seed ${SEED}`).toBe('');
      }, ROUTE_TIMEOUT_MS);
    }
  });

  describe('requests the contract lets through are never answered 5xx, and a refusal writes nothing', () => {
    for (const route of routes) {
      it(route.routeKey, async () => {
        const open = casesOf(route).filter((n) => n.refusal === null);
        const problems = await runAll(route, open, common);
        // The runs a route started (202) finish before the next route's requests, which they would otherwise slow past their timeout.
        if (route.successStatus === 202) await quiesce();
        expect(problems.slice(0, 5).join('\n\n'), `${problems.length} problems, seed ${SEED}`).toBe('');
      }, ROUTE_TIMEOUT_MS);
    }
  });
});
