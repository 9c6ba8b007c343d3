import { describe, expect, it } from 'vitest';
import type { Lender } from '../../../../shared/domain/lender.ts';
import type { Program } from '../../../../shared/domain/program.ts';
import { CachedCalendars, CachedLenders, CachedPrograms, referenceCacheTtlMs, withCachedReferences } from '../../../../shared/adapters/reference-cache.ts';
import { WriteConflict, type IdempotencyRecord, type LenderStore, type Page, type PlainWebhookSecret, type ProgramStore } from '../../../../shared/ports/stores.ts';
import { createInMemoryStores } from '../../../support/in-memory-stores.ts';
import { loadedYear } from '../../../support/calendar-years.ts';
import { PARTNER_A, PROGRAM_ID, aLeadLender, aPartnerLender, aProgram } from '../../../support/builders.ts';

class CountingPrograms implements ProgramStore {
  reads: Array<number | null> = [];
  constructor(public programs: Program[]) {}
  async get(programId: string, version: number | null): Promise<Program | null> {
    this.reads.push(version);
    const versions = this.programs.filter((p) => p.programId === programId);
    return (version === null ? versions.at(-1) : versions.find((p) => p.version === version)) ?? null;
  }
  async list(): Promise<Program[]> {
    return this.programs;
  }
  async pageLatest(): Promise<Page<Program>> {
    return { items: this.programs, cursor: null };
  }
  async createVersion(_program: Program, _idempotency: IdempotencyRecord): Promise<void> {}
}

class CountingLenders implements LenderStore {
  reads: string[][] = [];
  constructor(public lenders: Lender[]) {}
  async get(lenderId: string): Promise<Lender | null> {
    this.reads.push([lenderId]);
    return this.lenders.find((l) => l.lenderId === lenderId) ?? null;
  }
  async getMany(lenderIds: readonly string[]): Promise<Map<string, Lender>> {
    this.reads.push([...lenderIds]);
    return new Map(this.lenders.filter((l) => lenderIds.includes(l.lenderId)).map((l) => [l.lenderId, l]));
  }
  async list(): Promise<Lender[]> {
    return this.lenders;
  }
  async page(): Promise<Page<Lender>> {
    return { items: this.lenders, cursor: null };
  }
  async create(_lender: Lender, _idempotency: IdempotencyRecord): Promise<void> {}
  async setWebhook(): Promise<void> {}
  async plainWebhookSecret(): Promise<PlainWebhookSecret | null> {
    return null;
  }
}

describe('CachedPrograms', () => {
  it('reads a program version once, and the latest version every time', async () => {
    const store = new CountingPrograms([aProgram()]);
    const cached = new CachedPrograms(store);
    expect(await cached.get(PROGRAM_ID, 1)).toEqual(aProgram());
    expect(await cached.get(PROGRAM_ID, 1)).toEqual(aProgram());
    await cached.get(PROGRAM_ID, null);
    await cached.get(PROGRAM_ID, null);
    expect(store.reads).toEqual([1, null, null]);
  });

  it('keeps no version that does not exist', async () => {
    const store = new CountingPrograms([]);
    const cached = new CachedPrograms(store);
    expect(await cached.get(PROGRAM_ID, 1)).toBeNull();
    store.programs.push(aProgram());
    expect(await cached.get(PROGRAM_ID, 1)).toEqual(aProgram());
    expect(store.reads).toEqual([1, 1]);
  });
});

describe('CachedLenders', () => {
  it('reads only the lenders it does not keep, and each again once its time is up', async () => {
    let now = 0;
    const store = new CountingLenders([aLeadLender(), aPartnerLender(PARTNER_A)]);
    const cached = new CachedLenders(store, 1_000, () => now);
    const lead = aLeadLender().lenderId;
    expect([...(await cached.getMany([lead])).keys()]).toEqual([lead]);
    expect([...(await cached.getMany([lead, PARTNER_A])).keys()].sort()).toEqual([lead, PARTNER_A].sort());
    expect(await cached.get(PARTNER_A)).toEqual(aPartnerLender(PARTNER_A));
    now = 1_000;
    await cached.get(lead);
    expect(store.reads).toEqual([[lead], [PARTNER_A], [lead]]);
  });

  it('keeps no lender that does not exist', async () => {
    const store = new CountingLenders([]);
    const cached = new CachedLenders(store);
    expect(await cached.get('NOBODY')).toBeNull();
    expect(await cached.get('NOBODY')).toBeNull();
    expect(store.reads).toEqual([['NOBODY'], ['NOBODY']]);
  });
});

describe('withCachedReferences', () => {
  it('keeps nothing when the time to keep is 0', () => {
    const stores = { programs: new CountingPrograms([]), lenders: new CountingLenders([]) };
    expect(withCachedReferences(stores, 0)).toBe(stores);
    expect(withCachedReferences(stores, 5).programs).toBeInstanceOf(CachedPrograms);
    expect([referenceCacheTtlMs({}), referenceCacheTtlMs({ REFERENCE_CACHE_TTL_MS: '0' }), referenceCacheTtlMs({ REFERENCE_CACHE_TTL_MS: 'x' })]).toEqual([60_000, 0, 0]);
  });
});

describe('CachedCalendars', () => {
  function counting() {
    const stores = createInMemoryStores();
    return { stores, cached: new CachedCalendars(stores.calendars, 60_000, () => now) };
  }
  let now = 0;

  it('reads a calendar once per TTL, handing out the same years; a year loaded elsewhere is seen once the TTL is up', async () => {
    now = 0;
    const { stores, cached } = counting();
    const first = await cached.loadedYears('CN');
    expect(await cached.loadedYears('CN')).toBe(first);
    expect(stores.calendars.reads).toBe(1);

    await stores.calendars.putYear(loadedYear());
    now = 59_999;
    expect(await cached.loadedYears('CN')).toEqual([]);
    now = 60_000;
    expect((await cached.loadedYears('CN')).map((y) => y.year)).toEqual([2027]);
    expect(stores.calendars.reads).toBe(2);
  });

  it('sees its own write at once, and reads again after a write that lost', async () => {
    now = 0;
    const { stores, cached } = counting();
    expect(await cached.loadedYears('CN')).toEqual([]);
    await cached.putYear(loadedYear());
    expect((await cached.loadedYears('CN')).map((y) => y.version)).toEqual([1]);
    await expect(cached.putYear(loadedYear())).rejects.toThrow(WriteConflict);
    await cached.loadedYears('CN');
    expect(stores.calendars.reads).toBe(3);
  });

  it('is what withCachedReferences puts in front of a calendar store', () => {
    const stores = { programs: new CountingPrograms([]), lenders: new CountingLenders([]), calendars: createInMemoryStores().calendars };
    expect(withCachedReferences(stores, 5).calendars).toBeInstanceOf(CachedCalendars);
    expect(withCachedReferences(stores, 0).calendars).toBe(stores.calendars);
  });
});
