import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  AUDIT_CHAINS,
  GENESIS_HASH,
  MAX_AUDIT_LENDERS,
  auditDate,
  canonicalJson,
  chainOf,
  chainRecord,
  describeBreak,
  recordHash,
  verifyChain,
  type AuditEvent,
  type AuditRecord,
} from '../../../../shared/domain/audit.ts';
import { InvariantViolation } from '../../../../shared/domain/errors.ts';
import { thrownBy } from '../../../support/expect-error.ts';

const DATE = '2025-03-01';

function event(n: number, overrides: Partial<AuditEvent> = {}): AuditEvent {
  return {
    auditKey: `REQ#createLender#lead-ops-client#key-${n}`,
    at: `${DATE}T02:00:${String(n % 60).padStart(2, '0')}.000Z`,
    actor: { kind: 'USER', principalId: 'lead-ops-client', clientId: 'lead-ops-client', roles: ['LEAD'] },
    action: 'createLender',
    route: 'POST /v1/lenders',
    target: {},
    requestId: `req-${n}`,
    executionId: null,
    status: 201,
    before: null,
    after: { lenderId: `L-${n}`, version: 1 },
    lenderIds: [`L-${n}`],
    ...overrides,
  };
}

/** A chain of `count` records, each placed after the one before. */
function chainOf3(count: number): AuditRecord[] {
  const records: AuditRecord[] = [];
  for (let n = 0; n < count; n++) {
    const last = records.at(-1);
    records.push({ ...chainRecord(event(n), last === undefined ? null : { seq: last.seq, hash: last.hash }), chain: 0 });
  }
  // Rehash after pinning every record to chain 0, so one chain holds them all.
  const pinned: AuditRecord[] = [];
  for (const record of records) {
    const prevHash = pinned.at(-1)?.hash ?? GENESIS_HASH;
    const { hash: _h, ...fields } = { ...record, prevHash };
    pinned.push({ ...fields, hash: recordHash(fields) });
  }
  return pinned;
}

describe('canonicalJson', () => {
  it('sorts keys at every level and drops undefined, so field order never changes the text', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { z: true, y: null }], c: 'x' }, u: undefined })).toBe('{"a":{"c":"x","d":[2,{"y":null,"z":true}]},"b":1}');
    expect(canonicalJson({ a: 1, b: 2 })).toBe(canonicalJson({ b: 2, a: 1 }));
  });

  it('refuses what JSON cannot hold exactly', () => {
    expect(thrownBy(InvariantViolation, () => canonicalJson({ n: Number.NaN })).message).toContain('an audited number is finite');
    expect(thrownBy(InvariantViolation, () => canonicalJson({ n: 1n })).message).toContain('an audited value is JSON');
  });
});

describe('chainRecord', () => {
  it('places the first record of a chain after the genesis hash, with seq 1 and its day', () => {
    const record = chainRecord(event(1, { lenderIds: ['B', 'A', 'B'] }), null);
    expect(record.seq).toBe(1);
    expect(record.prevHash).toBe(GENESIS_HASH);
    expect(record.date).toBe(DATE);
    expect(record.chain).toBe(chainOf(event(1).auditKey));
    expect(record.lenderIds).toEqual(['A', 'B']);
    const { hash: _h, ...fields } = record;
    expect(record.hash).toBe(createHash('sha256').update(canonicalJson(fields), 'utf8').digest('hex'));
  });

  it('links a record to the head it follows', () => {
    const record = chainRecord(event(2), { seq: 41, hash: 'a'.repeat(64) });
    expect(record.seq).toBe(42);
    expect(record.prevHash).toBe('a'.repeat(64));
  });

  it('refuses a record naming more lenders than its write can hold', () => {
    const lenderIds = Array.from({ length: MAX_AUDIT_LENDERS + 1 }, (_, i) => `L${i}`);
    expect(thrownBy(InvariantViolation, () => chainRecord(event(1, { lenderIds }), null)).message).toContain(`an audit record names at most ${MAX_AUDIT_LENDERS} lenders`);
  });

  it('keeps a key in one chain of AUDIT_CHAINS', () => {
    fc.assert(fc.property(fc.string(), (key) => chainOf(key) === chainOf(key) && chainOf(key) >= 0 && chainOf(key) < AUDIT_CHAINS));
  });

  it('takes the UTC day of the instant', () => {
    expect(auditDate('2025-03-01T23:59:59.999Z')).toBe('2025-03-01');
    expect(thrownBy(InvariantViolation, () => auditDate('yesterday')).message).toContain('an audit instant is ISO-8601');
  });
});

describe('verifyChain', () => {
  it('finds an untouched chain whole', () => {
    expect(verifyChain(DATE, 0, chainOf3(5))).toEqual({ chain: 0, records: 5, firstBreak: null });
    expect(verifyChain(DATE, 0, [])).toEqual({ chain: 0, records: 0, firstBreak: null });
  });

  it('names a record whose field was changed, by its seq and key', () => {
    const records = chainOf3(5);
    records[2] = { ...(records[2] as AuditRecord), status: 200 };
    const result = verifyChain(DATE, 0, records);
    expect(result.firstBreak).toMatchObject({ kind: 'HASH', chain: 0, seq: 3, auditKey: event(2).auditKey, stored: (records[2] as AuditRecord).hash });
    expect(describeBreak(result.firstBreak as never)).toBe(
      `chain 0 record 3 (${event(2).auditKey}): its fields do not hash to its stored hash (stored ${(records[2] as AuditRecord).hash}, computed ${recordHash(records[2] as AuditRecord)})`,
    );
  });

  it('names the record after one rewritten with a fresh hash: the link no longer holds', () => {
    const records = chainOf3(4);
    const { hash: _h, ...fields } = { ...(records[1] as AuditRecord), after: { lenderId: 'FORGED' } };
    records[1] = { ...fields, hash: recordHash(fields) };
    expect(verifyChain(DATE, 0, records).firstBreak).toEqual({ kind: 'LINK', chain: 0, seq: 3, auditKey: event(2).auditKey, stored: (chainOf3(4)[1] as AuditRecord).hash, expected: (records[1] as AuditRecord).hash });
  });

  it('names the record where one is missing', () => {
    const records = chainOf3(4);
    records.splice(1, 1);
    expect(verifyChain(DATE, 0, records).firstBreak).toEqual({ kind: 'SEQUENCE', chain: 0, seq: 3, auditKey: event(2).auditKey, expected: 2 });
  });

  it('names a record of another day or chain placed in this one', () => {
    expect(verifyChain('2025-03-02', 0, chainOf3(2)).firstBreak).toEqual({ kind: 'PLACE', chain: 0, seq: 1, auditKey: event(0).auditKey, field: 'date', stored: DATE });
    expect(verifyChain(DATE, 5, chainOf3(2)).firstBreak).toEqual({ kind: 'PLACE', chain: 5, seq: 1, auditKey: event(0).auditKey, field: 'chain', stored: '0' });
  });

  it('names exactly the first changed record, whichever it is and whatever changes', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 12 }), fc.nat(), fc.constantFrom('action', 'at', 'requestId', 'status', 'after', 'lenderIds', 'actor'), (count, pick, field) => {
        const records = chainOf3(count);
        const index = pick % count;
        const original = records[index] as AuditRecord;
        const changed: Record<string, unknown> = {
          action: 'deleteEverything',
          at: `${DATE}T23:59:59.000Z`,
          requestId: 'forged',
          status: 599,
          after: { lenderId: 'FORGED' },
          lenderIds: ['FORGED'],
          actor: { ...original.actor, principalId: 'someone-else' },
        };
        records[index] = { ...original, [field]: changed[field] };
        const found = verifyChain(DATE, 0, records).firstBreak;
        return found !== null && found.kind === 'HASH' && found.seq === index + 1;
      }),
    );
  });
});
