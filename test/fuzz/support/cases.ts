import fc from 'fast-check';
import { queryParameters as parseQueryString } from '../../../infra/local/api-event.ts';
import { PATH_PARAMETERS, queryParameters } from '../../../shared/contracts/parameters.ts';
import { pathParameterNames } from '../../../shared/http/api.ts';
import { parseIdempotencyKey } from '../../../shared/http/idempotency.ts';
import type { PrincipalRole } from '../../../shared/domain/access.ts';
import { MAX_BODY_BYTES, type RouteSpec, isWrite } from '../../../shared/http/routes.ts';
import { validate } from '../../../shared/contracts/validate.ts';
import { garbageBodies, nastyString, nastyValue, RAW_NUMBERS, rawNumberMarker, withRawNumbers } from './nasty.ts';
import { BODIES, PATH_VALUES, QUERY_VALUES, REQUIRED_QUERY } from './probes.ts';

/**
 * One fuzz case: a request to one route, and what the contract alone says of it (refused, or
 * possibly accepted), decided with the same schemas and parsers the edge uses.
 */

/** Who calls: each a token of the local issuer, or none, or one the authorizer must refuse. */
export const CALLERS = ['none', 'garbage', 'expired', 'lead', 'partnerA', 'partnerC', 'guarantor', 'finance', 'financeA'] as const;
export type Caller = (typeof CALLERS)[number];

/** The roles each caller's token carries (the garbage token carries none the API accepts). */
export const CALLER_ROLES: Record<Caller, readonly PrincipalRole[]> = {
  none: [],
  garbage: [],
  expired: [],
  lead: ['LEAD'],
  partnerA: ['PARTNER'],
  partnerC: ['PARTNER'],
  guarantor: ['PARTNER'],
  finance: ['FINANCE'],
  financeA: ['FINANCE'],
};

export type Body = { readonly kind: 'json'; readonly value: unknown } | { readonly kind: 'bytes'; readonly bytes: Buffer };

export interface FuzzCase {
  readonly caller: Caller;
  readonly pathValues: Readonly<Record<string, string>>;
  /** The query string as sent, without `?`. */
  readonly query: string;
  /** Absent: no header. */
  readonly idempotencyKey?: string;
  readonly body?: Body;
  readonly contentType?: string;
}

/** What a JSON body looks like after one change at one place. */
type Mutation = { op: 'drop' | 'replace' | 'extra' | 'wrap' | 'raw-number'; at: number; value: unknown; name: string; raw: number };

function paths(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  const here = [prefix];
  if (Array.isArray(value)) return here.concat(value.flatMap((v, i) => paths(v, [...prefix, i])));
  if (value !== null && typeof value === 'object') return here.concat(Object.entries(value).flatMap(([k, v]) => paths(v, [...prefix, k])));
  return here;
}

function mutate(value: unknown, m: Mutation): unknown {
  const copy = structuredClone(value);
  const all = paths(copy);
  const path = all[m.at % all.length] ?? [];
  if (path.length === 0) {
    if (m.op === 'wrap') return [copy];
    if (m.op === 'extra' && copy !== null && typeof copy === 'object') return { ...copy, [m.name]: m.value };
    return m.value;
  }
  const parent = path.slice(0, -1).reduce<Record<string | number, unknown>>((node, key) => node[key] as Record<string | number, unknown>, copy as Record<string | number, unknown>);
  const key = path[path.length - 1] as string | number;
  switch (m.op) {
    case 'drop':
      if (Array.isArray(parent)) parent.splice(Number(key), 1);
      else delete parent[key];
      break;
    case 'replace':
      parent[key] = m.value;
      break;
    case 'extra': {
      const target = parent[key];
      if (target !== null && typeof target === 'object' && !Array.isArray(target)) (target as Record<string, unknown>)[m.name] = m.value;
      else if (!Array.isArray(parent)) parent[m.name] = m.value;
      else parent.push(m.value);
      break;
    }
    case 'wrap':
      parent[key] = [parent[key]];
      break;
    case 'raw-number':
      parent[key] = rawNumberMarker(m.raw);
      break;
  }
  return copy;
}

const mutation: fc.Arbitrary<Mutation> = fc.record({
  op: fc.constantFrom('drop', 'replace', 'replace', 'replace', 'extra', 'wrap', 'raw-number'),
  at: fc.nat(),
  value: nastyValue,
  name: fc.oneof(fc.constantFrom('extra', '__proto__', 'constructor', '', 'lenderId', 'x'.repeat(300)), fc.string({ maxLength: 10 })),
  raw: fc.nat({ max: RAW_NUMBERS.length - 1 }),
});

function bodyArbitrary(route: RouteSpec): fc.Arbitrary<Body | undefined> {
  const valid = BODIES[route.routeKey as keyof typeof BODIES];
  if (!route.requestSchema || !valid) return fc.constant(undefined);
  const json = (value: unknown): Body => ({ kind: 'json', value });
  return fc.oneof(
    { weight: 4, arbitrary: valid.map(json) },
    { weight: 5, arbitrary: fc.tuple(valid, fc.array(mutation, { minLength: 1, maxLength: 3 })).map(([v, ms]) => json(ms.reduce(mutate, v))) },
    { weight: 1, arbitrary: fc.constantFrom(...garbageBodies).map((bytes): Body => ({ kind: 'bytes', bytes })) },
  );
}

const encode = (s: string): string => {
  try {
    return encodeURIComponent(s);
  } catch {
    // A lone surrogate: sent as the raw bytes a careless client would put on the wire.
    return Buffer.from(s, 'utf8').toString('latin1');
  }
};

function queryArbitrary(route: RouteSpec): fc.Arbitrary<string> {
  const known = QUERY_VALUES[route.routeKey as keyof typeof QUERY_VALUES] ?? {};
  const required = REQUIRED_QUERY[route.routeKey as keyof typeof REQUIRED_QUERY] ?? [];
  const names = Object.keys(known);
  const valid: fc.Arbitrary<[string, string][]> =
    names.length === 0
      ? fc.constant([])
      : fc.record(known, { requiredKeys: [...required] }).map((q) => Object.entries(q as Record<string, string>));
  const serialize = (pairs: [string, string][]) => pairs.map(([k, v]) => `${encode(k)}=${encode(v)}`).join('&');
  const name = fc.oneof(fc.constantFrom(...names, 'limit', 'cursor', 'unknown', 'x'.repeat(40), ''), fc.string({ maxLength: 8 }));
  return fc.oneof(
    { weight: names.length === 0 ? 1 : 6, arbitrary: valid.map(serialize) },
    { weight: 3, arbitrary: fc.tuple(valid, name, nastyString).map(([pairs, k, v]) => serialize([...pairs.filter(([key]) => key !== k), [k, v]])) },
    { weight: 1, arbitrary: fc.tuple(valid, fc.integer({ min: 0, max: Math.max(names.length - 1, 0) })).map(([pairs, i]) => serialize(pairs.filter((_, j) => j !== i))) },
    { weight: 1, arbitrary: fc.constantFrom('%', '%E0%A4%A', 'a=%FF%FE', '&&&', '=', 'limit=1&limit=2', Array.from({ length: 20 }, (_, i) => `p${i}=1`).join('&'), `cursor=${'A'.repeat(3000)}`, 'limit=1e2', 'limit=-0', 'limit=0x10', 'limit= 5', 'month=2026-11%00') },
  );
}

function pathArbitrary(route: RouteSpec): fc.Arbitrary<Record<string, string>> {
  const names = pathParameterNames(route);
  return fc.record(Object.fromEntries(names.map((name) => [name, fc.oneof({ weight: 8, arbitrary: PATH_VALUES[name] }, { weight: 2, arbitrary: nastyString })])));
}

/**
 * A header value as it reaches the server: HTTP carries bytes, so text outside Latin-1 arrives as
 * its UTF-8 bytes read one by one, and control characters cannot be sent at all.
 */
export const onTheWire = (value: string): string =>
  [...Buffer.from(value, 'utf8').toString('latin1')].filter((ch) => ch === '\t' || (ch >= ' ' && ch !== '\u007f')).join('');

const idempotencyKey: fc.Arbitrary<string | undefined> = fc.oneof(
  { weight: 10, arbitrary: fc.uuid().map((u) => `fuzz-${u}`) },
  { weight: 1, arbitrary: fc.constant(undefined) },
  { weight: 1, arbitrary: fc.constantFrom('', 'short', 'k'.repeat(129), 'has space here', 'ключ-идемпотентности', 'key#with#hash', 'key\u0000nul00', '../../../../x') },
  { weight: 1, arbitrary: fc.constant('fuzz-reused-key-0001') },
);

/** Mostly callers the route is open to, the others as often as there are kinds of them. */
function callerArbitrary(route: RouteSpec): fc.Arbitrary<Caller> {
  const allowed = CALLERS.filter((c) => route.roles.some((role) => CALLER_ROLES[c].includes(role)));
  const anyone = fc.constantFrom<Caller>(...CALLERS);
  return allowed.length === 0 ? anyone : fc.oneof({ weight: 4, arbitrary: fc.constantFrom<Caller>(...allowed) }, { weight: 3, arbitrary: anyone });
}

/** Every case of a route: who calls, where, with what query, key and body. */
export function caseArbitrary(route: RouteSpec): fc.Arbitrary<FuzzCase> {
  return fc.record({
    caller: callerArbitrary(route),
    pathValues: pathArbitrary(route),
    query: queryArbitrary(route),
    idempotencyKey: isWrite(route) ? idempotencyKey.map((k) => (k === undefined ? k : onTheWire(k))) : fc.constant(undefined),
    body: bodyArbitrary(route),
    contentType: fc.oneof({ weight: 12, arbitrary: fc.constant('application/json') }, { weight: 1, arbitrary: fc.constantFrom('text/plain', 'application/octet-stream', 'application/json; charset=latin1') }),
  }) as fc.Arbitrary<FuzzCase>;
}

/** The request line's path, each value percent-encoded as a client does. */
export function pathOf(route: RouteSpec, c: FuzzCase): string {
  const path = route.routeKey.split(' ')[1] as string;
  return path.replace(/\{([A-Za-z]+)\}/g, (_, name: string) => encode(c.pathValues[name] ?? ''));
}

export function bodyBytes(c: FuzzCase): Buffer | undefined {
  if (!c.body) return undefined;
  if (c.body.kind === 'bytes') return c.body.bytes;
  return Buffer.from(withRawNumbers(JSON.stringify(c.body.value, (_, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)) ?? 'null'), 'utf8');
}

/**
 * Why the contract refuses the case before any work, or null when it may be answered: the same
 * checks, in the same order, as the edge (authorizer, role, path, query, Idempotency-Key, body).
 */
export function refusalOf(route: RouteSpec, c: FuzzCase, today: string): string | null {
  if (route.roles.length > 0) {
    if (CALLER_ROLES[c.caller].length === 0) return 'no valid token';
    if (!route.roles.some((role) => CALLER_ROLES[c.caller].includes(role))) return `role ${CALLER_ROLES[c.caller].join(',')}`;
  }
  for (const [name, value] of Object.entries(c.pathValues)) {
    if (value === '' || !PATH_PARAMETERS[name as keyof typeof PATH_PARAMETERS].safeParse(value).success) return `path ${name}`;
  }
  const query = parseQueryString(c.query) ?? {};
  if (!queryParameters.safeParse(query).success) return 'query parameters';
  if (route.querySchema && !route.querySchema.safeParse(query).success) return 'query';
  if (route.idempotent) {
    try {
      parseIdempotencyKey(c.idempotencyKey);
    } catch {
      return 'Idempotency-Key';
    }
  }
  if (route.requestSchema) {
    const bytes = bodyBytes(c) ?? Buffer.alloc(0);
    if (bytes.length > MAX_BODY_BYTES) return 'body too large';
    const text = bytes.toString('utf8');
    if (text.trim() === '') return 'no body';
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return 'body not JSON';
    }
    try {
      validate(route.requestSchema, parsed, { today });
    } catch {
      return 'body';
    }
  }
  return null;
}
