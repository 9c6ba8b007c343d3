import { beforeEach, describe, expect, it } from 'vitest';
import { NotFound, RuleViolation } from '../../../../shared/domain/errors.ts';
import { WriteConflict } from '../../../../shared/ports/stores.ts';
import { lenderToday, lendersOnDate, listRegulatoryFigures, setRegulatoryFigures } from '../../../../shared/use-cases/regulatory-figures.ts';
import { LEAD_ID, PARTNER_A, PARTNER_B, aLeadLender, aPartnerLender, aProgram, anIndiaProgramTerms, leadOps, partnerOf } from '../../../support/builders.ts';
import { createInMemoryStores, seed, sealFor, type InMemoryStores } from '../../../support/in-memory-stores.ts';
import { rejectedBy } from '../../../support/expect-error.ts';

let stores: InMemoryStores;
const FIGURES = { netTier1CapitalMinor: 180_000_000n, totalLoansMinor: 900_000_000n, source: '  2024 Q4 regulatory report  ' };

beforeEach(() => {
  // 10:00 on 16 March in Beijing.
  stores = createInMemoryStores('2025-03-16T02:00:00.000Z');
  seed(stores, {
    lenders: [aLeadLender(), aPartnerLender(PARTNER_A, { netTier1CapitalMinor: null, totalLoansMinor: null }), aPartnerLender(PARTNER_B, { institutionType: 'NON_BANK' })],
    programs: [aProgram()],
  });
});

const set = (lenderId: string, effectiveDate: string, key: string, figures = FIGURES) =>
  setRegulatoryFigures(stores, { lenderId, effectiveDate, figures }, 'lead-ops', sealFor(`setRegulatoryFigures#lead-ops#${key}`, stores.clock.now()), stores.clock.now());

describe('setting a bank\'s figures', () => {
  it('stores the figures of an effective date as version 1 with who set them and when, a correction as version 2', async () => {
    const first = await set(PARTNER_A, '2025-03-16', 'k1');
    expect(first).toEqual({
      lenderId: PARTNER_A,
      effectiveDate: '2025-03-16',
      version: 1,
      netTier1CapitalMinor: 180_000_000n,
      totalLoansMinor: 900_000_000n,
      source: '2024 Q4 regulatory report',
      setBy: 'lead-ops',
      setAt: '2025-03-16T02:00:00.000Z',
    });
    const corrected = await set(PARTNER_A, '2025-03-16', 'k2', { ...FIGURES, netTier1CapitalMinor: 180_000_001n });
    expect([corrected.version, corrected.netTier1CapitalMinor]).toEqual([2, 180_000_001n]);
    expect(stores.db.idempotency.get('setRegulatoryFigures#lead-ops#k2')?.statusCode).toBe(201);
    expect((await stores.regulatoryFigures.versions(PARTNER_A)).map((f) => f.version).sort()).toEqual([1, 2]);
  });

  it('takes the next version when another write of the same date lands first', async () => {
    const racing = stores.regulatoryFigures;
    let lost = false;
    const put = racing.put.bind(racing);
    racing.put = async (figures, idempotency) => {
      if (!lost) {
        lost = true;
        await put({ ...figures, source: 'the other write' }, sealFor('other')(201, {}));
      }
      return put(figures, idempotency);
    };
    expect((await set(PARTNER_A, '2025-03-16', 'k1')).version).toBe(2);
  });

  it('refuses, and writes nothing: a date after today in the program\'s calendar, a lender that is not a bank, one that does not exist', async () => {
    // 00:30 on 17 March in Beijing is still the 16th in UTC: Beijing's date is the program's.
    stores.clock.set('2025-03-16T16:30:00.000Z');
    expect((await set(PARTNER_A, '2025-03-17', 'k1')).effectiveDate).toBe('2025-03-17');
    const future = await rejectedBy(RuleViolation, () => set(PARTNER_A, '2025-03-18', 'k2'));
    expect([future.code, future.details]).toEqual(['EFFECTIVE_DATE_IN_FUTURE', { path: 'effectiveDate', rule: 'not-after-today', effectiveDate: '2025-03-18', today: '2025-03-17' }]);
    const platform = await rejectedBy(RuleViolation, () => set(PARTNER_B, '2025-03-16', 'k3'));
    expect([platform.code, platform.details.path]).toEqual(['LENDER_NOT_A_BANK', 'lenderId']);
    expect((await rejectedBy(NotFound, () => set('NOBODY', '2025-03-16', 'k4'))).details).toEqual({ lenderId: 'NOBODY' });
    expect(await stores.regulatoryFigures.versions(PARTNER_A)).toHaveLength(1);
    expect(stores.db.idempotency.size).toBe(1);
  });

  it('refuses the same idempotency record twice: the write of the first stands', async () => {
    await set(PARTNER_A, '2025-03-16', 'k1');
    const again = await rejectedBy(WriteConflict, () => set(PARTNER_A, '2025-03-16', 'k1'));
    expect(again.reason).toBe('IDEMPOTENCY_KEY');
    expect(await stores.regulatoryFigures.versions(PARTNER_A)).toHaveLength(1);
  });
});

describe("today for a lender's figures", () => {
  it("is the latest date in its programs' calendars, the platform's when it has none", () => {
    const india = aProgram({ ...anIndiaProgramTerms(), programId: 'IN-PROG' });
    // 20:00 UTC: already the 17th in Beijing, still the 17th at 01:30 in Kolkata.
    expect(lenderToday([aProgram(), india], PARTNER_A, '2025-03-16T20:00:00.000Z')).toBe('2025-03-17');
    expect(lenderToday([india], india.leadLenderId, '2025-03-16T18:00:00.000Z')).toBe('2025-03-16');
    expect(lenderToday([], 'NEW-BANK', '2025-03-16T18:00:00.000Z')).toBe('2025-03-17');
  });
});

describe('reading the figures', () => {
  it('lists every version, the registration first, with those in force today; a partner reads only its own', async () => {
    await set(PARTNER_A, '2025-03-16', 'k1');
    const view = await listRegulatoryFigures(stores, leadOps, LEAD_ID, stores.clock.now());
    expect(view).toMatchObject({ lenderId: LEAD_ID, today: '2025-03-16', inForce: { version: 0, source: 'lender registration' } });
    const own = await listRegulatoryFigures(stores, partnerOf(PARTNER_A), PARTNER_A, stores.clock.now());
    expect(own.figures.map((f) => [f.effectiveDate, f.version])).toEqual([['2025-03-16', 1]]);
    expect(own.inForce?.version).toBe(1);
    await expect(listRegulatoryFigures(stores, partnerOf(PARTNER_A), LEAD_ID, stores.clock.now())).rejects.toBeInstanceOf(NotFound);
  });

  it('gives allocation each lender with the figures in force on the date, none before any', async () => {
    await set(PARTNER_A, '2025-03-16', 'k1');
    const before = await lendersOnDate(stores, [LEAD_ID, PARTNER_A, PARTNER_B], '2025-03-15');
    expect([before.get(PARTNER_A)?.netTier1CapitalMinor, before.get(PARTNER_A)?.totalLoansMinor]).toEqual([null, null]);
    const on = await lendersOnDate(stores, [LEAD_ID, PARTNER_A, PARTNER_B], '2025-03-16');
    expect([on.get(PARTNER_A)?.netTier1CapitalMinor, on.get(PARTNER_A)?.totalLoansMinor]).toEqual([180_000_000n, 900_000_000n]);
    expect(on.get(LEAD_ID)?.netTier1CapitalMinor).toBe(50_000_000_000_000n);
    // Not a bank: the ratio rules do not bind it, so allocation has no figure to judge it by.
    expect(on.get(PARTNER_B)?.netTier1CapitalMinor).toBeNull();
  });
});
