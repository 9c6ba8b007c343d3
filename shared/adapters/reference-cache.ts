import type { Lender, LenderWebhook } from '../domain/lender.ts';
import type { Program } from '../domain/program.ts';
import type { LoadedCalendarYear } from '../domain/calendar.ts';
import type { CalendarStore, IdempotencyRecord, LenderStore, Page, PageRequest, PlainWebhookSecret, ProgramStore } from '../ports/stores.ts';

/**
 * Reference data a warm function keeps instead of reading it at every step of a review.
 *
 * A program version, once written, never changes (a change is a new version), so a version read
 * once is kept for the life of the function. "The latest version" is not kept: a new version may
 * have been written since. A lender's record changes only when its webhook secret is rotated; each
 * is kept for `lenderTtlMs`, so that a lender changed outside the API is seen within that time.
 * A lender or version that does not exist is never kept.
 */
export class CachedPrograms implements ProgramStore {
  private readonly versions = new Map<string, Promise<Program | null>>();

  constructor(private readonly store: ProgramStore) {}

  get(programId: string, version: number | null): Promise<Program | null> {
    if (version === null) return this.store.get(programId, null);
    const key = `${programId}#${version}`;
    let found = this.versions.get(key);
    if (!found) {
      found = this.store.get(programId, version);
      this.versions.set(key, found);
      found.then(
        (program) => program === null && this.versions.delete(key),
        () => this.versions.delete(key),
      );
    }
    return found;
  }

  list(): Promise<Program[]> {
    return this.store.list();
  }

  pageLatest(request: PageRequest): Promise<Page<Program>> {
    return this.store.pageLatest(request);
  }

  createVersion(program: Program, idempotency: IdempotencyRecord): Promise<void> {
    return this.store.createVersion(program, idempotency);
  }
}

export class CachedLenders implements LenderStore {
  private readonly kept = new Map<string, { lender: Lender; until: number }>();

  constructor(
    private readonly store: LenderStore,
    private readonly lenderTtlMs = 60_000,
    private readonly nowMs: () => number = Date.now,
  ) {}

  private fresh(lenderId: string): Lender | undefined {
    const entry = this.kept.get(lenderId);
    if (entry && entry.until > this.nowMs()) return entry.lender;
    this.kept.delete(lenderId);
    return undefined;
  }

  private keep(lender: Lender): void {
    this.kept.set(lender.lenderId, { lender, until: this.nowMs() + this.lenderTtlMs });
  }

  async get(lenderId: string): Promise<Lender | null> {
    const kept = this.fresh(lenderId);
    if (kept) return kept;
    const lender = await this.store.get(lenderId);
    if (lender) this.keep(lender);
    return lender;
  }

  async getMany(lenderIds: readonly string[]): Promise<Map<string, Lender>> {
    const found = new Map<string, Lender>();
    const missing: string[] = [];
    for (const id of new Set(lenderIds)) {
      const kept = this.fresh(id);
      if (kept) found.set(id, kept);
      else missing.push(id);
    }
    if (missing.length > 0) {
      for (const lender of (await this.store.getMany(missing)).values()) {
        this.keep(lender);
        found.set(lender.lenderId, lender);
      }
    }
    return found;
  }

  list(): Promise<Lender[]> {
    return this.store.list();
  }

  page(request: PageRequest): Promise<Page<Lender>> {
    return this.store.page(request);
  }

  create(lender: Lender, idempotency: IdempotencyRecord): Promise<void> {
    return this.store.create(lender, idempotency);
  }

  /** A write through this store drops what it kept of the lender, so the function that wrote reads its own write. */
  setWebhook(lenderId: string, expectedSecretVersion: number, webhook: LenderWebhook, idempotency: IdempotencyRecord | null): Promise<void> {
    this.kept.delete(lenderId);
    return this.store.setWebhook(lenderId, expectedSecretVersion, webhook, idempotency);
  }

  plainWebhookSecret(lenderId: string): Promise<PlainWebhookSecret | null> {
    return this.store.plainWebhookSecret(lenderId);
  }
}

/**
 * A calendar's loaded years, kept for `ttlMs`: settlement asks for its calendar per loan and reads
 * the table once per function per TTL. A year newly loaded elsewhere is seen within the TTL (60 s
 * by default); a write through this store drops what it kept of that calendar, so the function
 * that wrote sees its own write at once. The same array (and so the same Sets of days built from
 * it) is handed out for the whole TTL.
 */
export class CachedCalendars implements CalendarStore {
  private readonly kept = new Map<string, { years: Promise<LoadedCalendarYear[]>; until: number }>();

  constructor(
    private readonly store: CalendarStore,
    private readonly ttlMs = 60_000,
    private readonly nowMs: () => number = Date.now,
  ) {}

  loadedYears(calendar: string): Promise<LoadedCalendarYear[]> {
    const entry = this.kept.get(calendar);
    if (entry && entry.until > this.nowMs()) return entry.years;
    const years = this.store.loadedYears(calendar);
    this.kept.set(calendar, { years, until: this.nowMs() + this.ttlMs });
    years.catch(() => this.kept.get(calendar)?.years === years && this.kept.delete(calendar));
    return years;
  }

  async putYear(year: LoadedCalendarYear, idempotency?: IdempotencyRecord): Promise<void> {
    try {
      await this.store.putYear(year, idempotency);
    } finally {
      this.kept.delete(year.calendar);
    }
  }
}

/** How long a warm function keeps a lender or a calendar's loaded years: `REFERENCE_CACHE_TTL_MS`, 60 s by default; 0 keeps nothing, programs included. */
export function referenceCacheTtlMs(env: NodeJS.ProcessEnv = process.env): number {
  const ttl = Number(env.REFERENCE_CACHE_TTL_MS ?? '60000');
  return Number.isFinite(ttl) && ttl > 0 ? ttl : 0;
}

/** The stores with their programs, lenders and calendars kept as above (unless the time to keep them is 0); the rest read as before. */
export function withCachedReferences<T extends { readonly programs: ProgramStore; readonly lenders: LenderStore; readonly calendars?: CalendarStore }>(
  stores: T,
  ttlMs = referenceCacheTtlMs(),
): T {
  if (ttlMs === 0) return stores;
  return {
    ...stores,
    programs: new CachedPrograms(stores.programs),
    lenders: new CachedLenders(stores.lenders, ttlMs),
    ...(stores.calendars ? { calendars: new CachedCalendars(stores.calendars, ttlMs) } : {}),
  };
}
