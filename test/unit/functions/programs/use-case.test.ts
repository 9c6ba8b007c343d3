import { describe, expect, it } from 'vitest';
import { RuleViolation, NotFound, ValidationError } from '../../../../shared/domain/errors.ts';
import { DEFAULT_WATERFALL, type Program } from '../../../../shared/domain/program.ts';
import { validate } from '../../../../shared/contracts/validate.ts';
import { createProgramRequest } from '../../../../shared/contracts/schemas.ts';
import { OPTIMISTIC_ATTEMPTS, WriteConflict, type IdempotencyRecord } from '../../../../shared/ports/stores.ts';
import { createProgram, getProgram, listPrograms } from '../../../../functions/programs/use-case.ts';
import {
  LEAD_ID,
  NOW,
  PARTNER_A,
  PARTNER_B,
  PROGRAM_ID,
  aProgram,
  aProgramTerms,
  anIndiaLenders,
  createProgramBody,
  defaultLenders,
  financeOf,
  leadOps,
  partnerOf,
  platformFinance,
  type JsonBody,
} from '../../../support/builders.ts';
import { rejectedBy } from '../../../support/expect-error.ts';
import { createInMemoryStores, sealFor, seed, type InMemoryStores } from '../../../support/in-memory-stores.ts';

function withLenders(lenders = defaultLenders()): InMemoryStores {
  const stores = createInMemoryStores();
  seed(stores, { lenders });
  return stores;
}

async function create(stores: InMemoryStores, body: JsonBody = createProgramBody(), key = 'key', now = NOW): Promise<void> {
  await createProgram(stores, validate(createProgramRequest, body), sealFor(`createProgram#lead#${key}`, now), now);
}

const PAGE = { limit: 50 };

describe('createProgram', () => {
  it('writes version 1 with the CN-2021 profile of CNY and the default waterfall', async () => {
    const stores = withLenders();
    await create(stores);
    const program = stores.db.programs.get(`${PROGRAM_ID}#1`);
    // No start in the request: the program starts on its creation date, 2025-03-01 in Shanghai.
    expect(program).toEqual(aProgram({ version: 1, createdAt: NOW, startDate: '2025-03-01' }));
    expect(program?.regulatoryProfile).toBe('CN-2021');
    expect(program?.waterfall).toEqual(DEFAULT_WATERFALL);
    const record = stores.db.idempotency.get('createProgram#lead#key');
    expect(record?.statusCode).toBe(201);
    expect(JSON.parse(record?.responseBody ?? '')).toMatchObject({ programId: PROGRAM_ID, version: 1, amountRange: { minMinor: '100000', maxMinor: '50000000' } });
  });

  it("keeps a start the request names, and takes the creation date on the program's own calendar when it names none", async () => {
    const stores = withLenders();
    await create(stores, createProgramBody({ startDate: '2024-07-01' }), 'k1');
    expect(stores.db.programs.get(`${PROGRAM_ID}#1`)?.startDate).toBe('2024-07-01');
    // 17:30 UTC on 2025-03-01 is 2025-03-02 in Shanghai (CN) and 2025-03-01 23:00 in Kolkata (IN).
    await create(stores, createProgramBody(), 'k2', '2025-03-01T17:30:00.000Z');
    expect(stores.db.programs.get(`${PROGRAM_ID}#2`)?.startDate).toBe('2025-03-02');
    await create(stores, createProgramBody({ settlement: { calendar: 'IN' } }), 'k3', '2025-03-01T17:30:00.000Z');
    expect(stores.db.programs.get(`${PROGRAM_ID}#3`)?.startDate).toBe('2025-03-01');
  });

  it('refuses a start that is not a calendar date, naming the field, and writes nothing', async () => {
    const stores = withLenders();
    const refused = await rejectedBy(ValidationError, () => create(stores, createProgramBody({ startDate: '2025-02-30' })));
    expect([refused.code, refused.details.path]).toEqual(['VALIDATION_FAILED', 'startDate']);
    expect(stores.db.programs.size).toBe(0);
  });

  it('numbers new versions 1, 2, 3 and never changes an earlier one', async () => {
    const stores = withLenders();
    await create(stores, createProgramBody(), 'k1', '2025-03-01T00:00:00.000Z');
    const first = structuredClone(stores.db.programs.get(`${PROGRAM_ID}#1`));
    await create(stores, createProgramBody({ name: 'Second' }), 'k2', '2025-03-02T00:00:00.000Z');
    await create(stores, createProgramBody({ name: 'Third', termMonthsRange: { min: 3, max: 24 } }), 'k3', '2025-03-03T00:00:00.000Z');
    expect([...stores.db.programs.values()].map((p) => [p.version, p.name, p.createdAt])).toEqual([
      [1, 'Consumer co-lending 2025', '2025-03-01T00:00:00.000Z'],
      [2, 'Second', '2025-03-02T00:00:00.000Z'],
      [3, 'Third', '2025-03-03T00:00:00.000Z'],
    ]);
    expect(stores.db.programs.get(`${PROGRAM_ID}#1`)).toEqual(first);
    expect(stores.db.programs.get(`${PROGRAM_ID}#3`)?.termMonthsRange).toEqual({ min: 3, max: 24 });
  });

  it('infers IN-2025 for INR, and keeps a profile that is named', async () => {
    const stores = withLenders(anIndiaLenders());
    const participants = [
      { lenderId: LEAD_ID, role: 'LEAD', targetShareBps: 2000 },
      { lenderId: PARTNER_A, role: 'PARTNER', targetShareBps: 8000 },
    ];
    await create(stores, createProgramBody({ programId: 'MSME', currency: 'INR', participants }), 'k1');
    await create(stores, createProgramBody({ programId: 'MSME', currency: 'INR', participants, regulatoryProfile: 'IN-2025' }), 'k2');
    expect([...stores.db.programs.values()].map((p) => [p.programId, p.version, p.regulatoryProfile])).toEqual([
      ['MSME', 1, 'IN-2025'],
      ['MSME', 2, 'IN-2025'],
    ]);
  });

  it('refuses a program that breaks its profile, and writes nothing', async () => {
    const stores = withLenders();
    const participants = [
      { lenderId: LEAD_ID, role: 'LEAD', targetShareBps: 5000 },
      { lenderId: PARTNER_A, role: 'PARTNER', targetShareBps: 2500 },
      { lenderId: PARTNER_B, role: 'PARTNER', targetShareBps: 2500 },
    ];
    const error = await rejectedBy(RuleViolation, () => create(stores, createProgramBody({ participants })));
    expect([error.code, error.details.path]).toEqual(['PARTNER_MIN_SHARE', 'participants.1.targetShareBps']);
    expect(stores.db.programs.size).toBe(0);
    expect(stores.db.idempotency.size).toBe(0);
  });

  it('refuses a participant that is not a lender', async () => {
    const stores = withLenders(defaultLenders().filter((l) => l.lenderId !== PARTNER_B));
    const error = await rejectedBy(RuleViolation, () => create(stores));
    expect([error.code, error.details.path]).toEqual(['UNKNOWN_LENDER', 'participants.2.lenderId']);
  });

  it('takes the next number when another writer wins the race for the same version', async () => {
    const stores = withLenders();
    await create(stores, createProgramBody(), 'k1');
    const write = stores.programs.createVersion.bind(stores.programs);
    const attempts: number[] = [];
    stores.programs.createVersion = async (program: Program, record: IdempotencyRecord) => {
      attempts.push(program.version);
      if (attempts.length === 1) await write({ ...program, name: 'Competitor' }, { ...record, scopeKey: 'createProgram#other#k' });
      return write(program, record);
    };
    await create(stores, createProgramBody({ name: 'Ours' }), 'k2');
    expect(attempts).toEqual([2, 3]);
    expect(stores.db.programs.get(`${PROGRAM_ID}#2`)?.name).toBe('Competitor');
    expect(stores.db.programs.get(`${PROGRAM_ID}#3`)?.name).toBe('Ours');
    expect(JSON.parse(stores.db.idempotency.get('createProgram#lead#k2')?.responseBody ?? '').version).toBe(3);
  });

  it(`gives up after ${OPTIMISTIC_ATTEMPTS} lost races`, async () => {
    const stores = withLenders();
    let attempts = 0;
    stores.programs.createVersion = async () => {
      attempts++;
      throw new WriteConflict('ALREADY_EXISTS', 'program');
    };
    expect((await rejectedBy(WriteConflict, () => create(stores))).reason).toBe('ALREADY_EXISTS');
    expect([attempts, OPTIMISTIC_ATTEMPTS]).toEqual([25, 25]);
  });

  it('does not retry a lost idempotency key: that is a replay for the caller', async () => {
    const stores = withLenders();
    let attempts = 0;
    stores.programs.createVersion = async () => {
      attempts++;
      throw new WriteConflict('IDEMPOTENCY_KEY', 'idempotency');
    };
    expect((await rejectedBy(WriteConflict, () => create(stores))).reason).toBe('IDEMPOTENCY_KEY');
    expect(attempts).toBe(1);
  });
});

describe('listPrograms and getProgram', () => {
  const other = aProgram({ programId: 'A-BUSINESS', participants: aProgramTerms().participants.filter((p) => p.lenderId !== PARTNER_B).map((p) => (p.role === 'LEAD' ? { ...p, targetShareBps: 7000 } : p)) });
  function seeded(): InMemoryStores {
    const stores = createInMemoryStores();
    seed(stores, { programs: [aProgram({ version: 1 }), aProgram({ version: 2, name: 'v2' }), other] });
    return stores;
  }

  it('lists the latest version of each program, the highest id first', async () => {
    const { programs } = await listPrograms(seeded(), leadOps, PAGE);
    expect(programs.map((p) => [p.programId, p.version, p.name])).toEqual([
      [PROGRAM_ID, 2, 'v2'],
      ['A-BUSINESS', 1, 'Consumer co-lending 2025'],
    ]);
  });

  it('pages the latest versions, one a page, each program once; a cursor of another listing is a 400 naming it', async () => {
    const stores = seeded();
    const first = await listPrograms(stores, leadOps, { limit: 1 });
    expect(first.programs.map((p) => [p.programId, p.version])).toEqual([[PROGRAM_ID, 2]]);
    const second = await listPrograms(stores, leadOps, { limit: 1, cursor: first.cursor ?? '' });
    expect(second.programs.map((p) => [p.programId, p.version])).toEqual([['A-BUSINESS', 1]]);
    const last = await listPrograms(stores, leadOps, { limit: 1, cursor: second.cursor ?? '' });
    expect([last.programs, last.cursor]).toEqual([[], null]);
    const lenders = Buffer.from(JSON.stringify({ pk: 'LENDERS', sk: 'A' })).toString('base64url');
    expect((await rejectedBy(ValidationError, () => listPrograms(stores, leadOps, { limit: 1, cursor: lenders }))).details).toEqual({ path: 'cursor', rule: 'cursor' });
  });

  it('lists to a partner only the programs it takes part in', async () => {
    const stores = seeded();
    expect((await listPrograms(stores, partnerOf(PARTNER_B), PAGE)).programs.map((p) => p.programId)).toEqual([PROGRAM_ID]);
    expect((await listPrograms(stores, financeOf(PARTNER_A), PAGE)).programs.map((p) => p.programId)).toEqual([PROGRAM_ID, 'A-BUSINESS']);
    expect((await listPrograms(stores, platformFinance, PAGE)).programs).toHaveLength(2);
    expect((await listPrograms(stores, partnerOf('OUTSIDER'), PAGE)).programs).toEqual([]);
  });

  it("shows a lender's callers only their own participation: no other lender's share, priority or yield rate", async () => {
    const stores = seeded();
    const full = await getProgram(stores, leadOps, PROGRAM_ID, null);
    expect(full.participants.map((p) => p.lenderId)).toEqual([LEAD_ID, PARTNER_A, PARTNER_B]);
    for (const principal of [partnerOf(PARTNER_A), financeOf(PARTNER_A)]) {
      const seen = await getProgram(stores, principal, PROGRAM_ID, null);
      expect(seen.participants).toEqual(full.participants.filter((p) => p.lenderId === PARTNER_A));
      // The terms every party signed stay whole.
      expect([seen.split, seen.lossSharing, seen.settlement, seen.leadLenderId]).toEqual([full.split, full.lossSharing, full.settlement, full.leadLenderId]);
      const listed = (await listPrograms(stores, principal, PAGE)).programs.find((p) => p.programId === PROGRAM_ID);
      expect(listed?.participants.map((p) => p.lenderId)).toEqual([PARTNER_A]);
    }
    expect((await getProgram(stores, platformFinance, PROGRAM_ID, null)).participants).toEqual(full.participants);
  });

  it('shows a program stored before programs had a start with its creation date as its start', async () => {
    const stores = createInMemoryStores();
    const { startDate: _none, ...old } = aProgram({ createdAt: '2025-02-28T17:00:00.000Z' });
    seed(stores, { programs: [old] });
    expect((await getProgram(stores, leadOps, PROGRAM_ID, null)).startDate).toBe('2025-03-01');
    expect((await listPrograms(stores, leadOps, PAGE)).programs.map((p) => p.startDate)).toEqual(['2025-03-01']);
  });

  it('gets the latest version or a given one', async () => {
    const stores = seeded();
    expect((await getProgram(stores, leadOps, PROGRAM_ID, null)).version).toBe(2);
    expect((await getProgram(stores, partnerOf(PARTNER_A), PROGRAM_ID, 1)).name).toBe('Consumer co-lending 2025');
  });

  it('answers 404 for a program or version that does not exist, or that the partner is not in', async () => {
    const stores = seeded();
    const version = await rejectedBy(NotFound, () => getProgram(stores, leadOps, PROGRAM_ID, 9));
    expect([version.message]).toEqual([`program ${PROGRAM_ID} version 9 was not found`]);
    const hidden = await rejectedBy(NotFound, () => getProgram(stores, partnerOf(PARTNER_B), 'A-BUSINESS', null));
    expect([hidden.message, hidden.details]).toEqual(['program A-BUSINESS was not found', { programId: 'A-BUSINESS' }]);
  });
});
