import { daysBetween } from './money/index.ts';
import { AGE_BANDS, BREAK_KINDS, ageBandOf, ageInDays, type AgeBand, type BreakKind, type ReconciliationBreak, type ReconciliationType } from './reconciliation-break.ts';

/**
 * A record of either side as matching sees it (docs/reconciliation.md): the counterpart's rows and
 * ours are both brought to this shape, so one matcher serves the three reconciliations.
 */
export interface MatchRecord {
  /** The id matched first: `{loanId}|{eventId}`, a loan id, a flow number or instruction id. */
  readonly key: string;
  /** Records left after the ids are matched on amount and date within this group (a loan, a direction). */
  readonly group: string;
  /** Their file's line; 0 for ours. */
  readonly line: number;
  readonly lenderId: string;
  readonly currency: string;
  /** Compared with the date tolerance (a value date, a disbursement date); null where the record has none. */
  readonly date: string | null;
  /** What the date is, the component of a DATE_MISMATCH: `VALUE_DATE`, `DISBURSEMENT_DATE`. */
  readonly dateName: string;
  /** Compared component by component with the amount tolerance (minor units). */
  readonly amountsMinor: Readonly<Record<string, bigint>>;
  /** What the second pass compares and the reports add up. */
  readonly totalMinor: bigint;
  /**
   * Figures compared exactly as text (an event type, a funding share at its six decimals): a
   * difference is an AMOUNT_MISMATCH of that figure, ours and theirs as text, no money.
   */
  readonly figures: Readonly<Record<string, string>>;
  /** Compared exactly: a five-category class, days past due; a difference is a CLASSIFICATION_MISMATCH. */
  readonly attributes: Readonly<Record<string, string>>;
}

export interface Tolerances {
  readonly amountToleranceMinor: bigint;
  readonly dateToleranceDays: number;
}

/** A difference found, before it becomes a stored break with an id, owner and history. */
export interface BreakFinding {
  readonly kind: BreakKind;
  readonly component: string;
  readonly recordKey: string;
  readonly lenderId: string;
  readonly currency: string;
  readonly oursMinor: bigint | null;
  readonly theirsMinor: bigint | null;
  readonly ours: string | null;
  readonly theirs: string | null;
  readonly lines: readonly number[];
}

export interface MatchResult {
  /** Pairs found with no difference beyond the tolerances. */
  readonly matchedCount: number;
  /** What the matched pairs add up to, per currency. */
  readonly matchedMinor: Readonly<Record<string, bigint>>;
  /** Pairs found on amount and date rather than on their ids. */
  readonly matchedOnAmountCount: number;
  readonly oursCount: number;
  readonly theirsCount: number;
  readonly findings: BreakFinding[];
}

const abs = (v: bigint): bigint => (v < 0n ? -v : v);

function datesApart(a: string | null, b: string | null): number {
  if (a === null || b === null || a === b) return 0;
  return Math.abs(daysBetween(a, b));
}

/** Names in either record, ours first in its order, then those only theirs has (sorted once a difference is found). */
function differingNames<V>(ours: Readonly<Record<string, V>>, theirs: Readonly<Record<string, V>>, differ: (a: V | undefined, b: V | undefined) => boolean): string[] {
  const names: string[] = [];
  for (const name in ours) if (differ(ours[name], theirs[name])) names.push(name);
  for (const name in theirs) if (!(name in ours) && differ(undefined, theirs[name])) names.push(name);
  return names.length > 1 ? names.sort() : names;
}

/** The differences of a pair found on its id. */
function compare(ours: MatchRecord, theirs: MatchRecord, tolerances: Tolerances): BreakFinding[] {
  const tolerance = tolerances.amountToleranceMinor;
  const amountsDiffer = (a: bigint | undefined, b: bigint | undefined): boolean => abs((b ?? 0n) - (a ?? 0n)) > tolerance;
  const components = differingNames(ours.amountsMinor, theirs.amountsMinor, amountsDiffer);
  const apart = datesApart(ours.date, theirs.date);
  const textDiffers = (a: string | undefined, b: string | undefined): boolean => (a ?? '') !== (b ?? '');
  const figures = differingNames(ours.figures, theirs.figures, textDiffers);
  const attributes = differingNames(ours.attributes, theirs.attributes, textDiffers);
  if (components.length === 0 && figures.length === 0 && attributes.length === 0 && ours.currency === theirs.currency && apart <= tolerances.dateToleranceDays) return [];
  const found: BreakFinding[] = [];
  const base = { recordKey: ours.key, lenderId: ours.lenderId, currency: ours.currency, lines: [theirs.line] };
  for (const component of components) {
    found.push({ ...base, kind: 'AMOUNT_MISMATCH', component, oursMinor: ours.amountsMinor[component] ?? 0n, theirsMinor: theirs.amountsMinor[component] ?? 0n, ours: null, theirs: null });
  }
  for (const name of figures) found.push({ ...base, kind: 'AMOUNT_MISMATCH', component: name, oursMinor: null, theirsMinor: null, ours: ours.figures[name] ?? '', theirs: theirs.figures[name] ?? '' });
  if (ours.currency !== theirs.currency) {
    found.push({ ...base, kind: 'AMOUNT_MISMATCH', component: 'CURRENCY', oursMinor: null, theirsMinor: null, ours: ours.currency, theirs: theirs.currency });
  }
  if (apart > tolerances.dateToleranceDays) {
    found.push({ ...base, kind: 'DATE_MISMATCH', component: ours.dateName, oursMinor: ours.totalMinor, theirsMinor: theirs.totalMinor, ours: ours.date, theirs: theirs.date });
  }
  for (const name of attributes) found.push({ ...base, kind: 'CLASSIFICATION_MISMATCH', component: name, oursMinor: null, theirsMinor: null, ours: ours.attributes[name] ?? '', theirs: theirs.attributes[name] ?? '' });
  return found;
}

const byKeyThenLine = (a: MatchRecord, b: MatchRecord): number => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.line - b.line);

/**
 * Matches one partition: first on ids (a key twice in their file is a DUPLICATE; the first one is
 * matched), then what is left on both sides within each group on amount and date within the
 * tolerances, in key order; whatever is left is missing on the other side. The result depends on
 * the records only, never on their order.
 */
export function matchRecords(oursIn: readonly MatchRecord[], theirsIn: readonly MatchRecord[], tolerances: Tolerances): MatchResult {
  // The usual group: one record on each side, the same key (a loan's payment on both books).
  if (oursIn.length === 1 && theirsIn.length === 1 && oursIn[0]!.key === theirsIn[0]!.key) {
    const [ours, theirs] = [oursIn[0]!, theirsIn[0]!];
    const findings = compare(ours, theirs, tolerances);
    const matched = findings.length === 0;
    return { matchedCount: matched ? 1 : 0, matchedMinor: matched ? { [ours.currency]: ours.totalMinor } : {}, matchedOnAmountCount: 0, oursCount: 1, theirsCount: 1, findings };
  }
  const ours = [...oursIn].sort(byKeyThenLine);
  const theirs = [...theirsIn].sort(byKeyThenLine);
  const findings: BreakFinding[] = [];
  const theirsByKey = new Map<string, MatchRecord>();
  const duplicates = new Map<string, MatchRecord[]>();
  for (const record of theirs) {
    if (!theirsByKey.has(record.key)) theirsByKey.set(record.key, record);
    else duplicates.set(record.key, [...(duplicates.get(record.key) ?? []), record]);
  }
  for (const [key, extra] of duplicates) {
    const first = theirsByKey.get(key)!;
    findings.push({
      kind: 'DUPLICATE',
      component: '',
      recordKey: key,
      lenderId: first.lenderId,
      currency: first.currency,
      oursMinor: null,
      theirsMinor: extra.reduce((sum, r) => sum + r.totalMinor, 0n),
      ours: null,
      theirs: `${extra.length + 1} rows`,
      lines: [first.line, ...extra.map((r) => r.line)],
    });
  }
  let matchedCount = 0;
  const matchedMinor: Record<string, bigint> = {};
  const count = (record: MatchRecord): void => {
    matchedCount++;
    matchedMinor[record.currency] = (matchedMinor[record.currency] ?? 0n) + record.totalMinor;
  };
  let matchedOnAmountCount = 0;
  const oursLeft: MatchRecord[] = [];
  const oursKeys = new Set<string>();
  for (const record of ours) {
    if (oursKeys.has(record.key)) {
      // Our side never repeats a key; if it did, the second is compared as missing on theirs.
      oursLeft.push(record);
      continue;
    }
    oursKeys.add(record.key);
    const pair = theirsByKey.get(record.key);
    if (pair === undefined) {
      oursLeft.push(record);
      continue;
    }
    theirsByKey.delete(record.key);
    const differences = compare(record, pair, tolerances);
    if (differences.length === 0) count(record);
    else findings.push(...differences);
  }
  const theirsLeft = [...theirsByKey.values()];
  const waiting = new Map<string, MatchRecord[]>();
  for (const record of theirsLeft) waiting.set(record.group, [...(waiting.get(record.group) ?? []), record]);
  const stillOurs: MatchRecord[] = [];
  for (const record of oursLeft) {
    const candidates = waiting.get(record.group) ?? [];
    const at = candidates.findIndex(
      (t) => t.currency === record.currency && abs(t.totalMinor - record.totalMinor) <= tolerances.amountToleranceMinor && datesApart(t.date, record.date) <= tolerances.dateToleranceDays,
    );
    if (at < 0) {
      stillOurs.push(record);
      continue;
    }
    candidates.splice(at, 1);
    count(record);
    matchedOnAmountCount++;
  }
  for (const record of stillOurs) {
    findings.push({ kind: 'MISSING_THEIRS', component: '', recordKey: record.key, lenderId: record.lenderId, currency: record.currency, oursMinor: record.totalMinor, theirsMinor: null, ours: record.date, theirs: null, lines: [] });
  }
  for (const record of [...waiting.values()].flat().sort(byKeyThenLine)) {
    findings.push({ kind: 'MISSING_OURS', component: '', recordKey: record.key, lenderId: record.lenderId, currency: record.currency, oursMinor: null, theirsMinor: record.totalMinor, ours: null, theirs: record.date, lines: [record.line] });
  }
  return { matchedCount, matchedMinor, matchedOnAmountCount, oursCount: oursIn.length, theirsCount: theirsIn.length, findings };
}

/** theirs − ours, a missing side counting as zero. */
export function differenceOf(finding: Pick<BreakFinding, 'oursMinor' | 'theirsMinor'>): bigint {
  return (finding.theirsMinor ?? 0n) - (finding.oursMinor ?? 0n);
}

/** `RC-{YYYYMMDD}-{type}-{counterparty}-{12 hex}`: the same file for the same date and counterparty is one reconciliation. */
export function reconciliationIdOf(type: ReconciliationType, businessDate: string, counterparty: string, fileSha256Hex: string): string {
  return `RC-${businessDate.replaceAll('-', '')}-${type}-${counterparty}-${fileSha256Hex.slice(0, 12)}`;
}

/** The kinds whose difference is money: the net difference adds these up. */
const AMOUNT_KINDS: ReadonlySet<BreakKind> = new Set(['MISSING_OURS', 'MISSING_THEIRS', 'AMOUNT_MISMATCH']);

export interface BreakCounts {
  readonly byKind: Readonly<Record<BreakKind, number>>;
  readonly byAge: Readonly<Record<AgeBand, number>>;
  /** Σ (theirs − ours) over the amount-carrying breaks, per currency. */
  readonly netDifferenceMinor: Readonly<Record<string, bigint>>;
}

/** Breaks by kind, by age band (as of `today`) and the net difference per currency. */
export function countBreaks(breaks: readonly Pick<ReconciliationBreak, 'kind' | 'openedOn' | 'currency' | 'differenceMinor'>[], today: string): BreakCounts {
  const byKind = Object.fromEntries(BREAK_KINDS.map((k) => [k, 0])) as Record<BreakKind, number>;
  const byAge = Object.fromEntries(AGE_BANDS.map((b) => [b.band, 0])) as Record<AgeBand, number>;
  const netDifferenceMinor: Record<string, bigint> = {};
  for (const b of breaks) {
    byKind[b.kind]++;
    byAge[ageBandOf(ageInDays(b.openedOn, today))]++;
    if (AMOUNT_KINDS.has(b.kind)) netDifferenceMinor[b.currency] = (netDifferenceMinor[b.currency] ?? 0n) + b.differenceMinor;
  }
  return { byKind, byAge, netDifferenceMinor };
}

/** Two counts of breaks added up (reports count breaks a batch at a time). */
export function sumCounts(a: BreakCounts, b: BreakCounts): BreakCounts {
  const add = <K extends string>(x: Readonly<Record<K, number>>, y: Readonly<Record<K, number>>): Record<K, number> =>
    Object.fromEntries(Object.keys(x).map((k) => [k, x[k as K] + y[k as K]])) as Record<K, number>;
  const net: Record<string, bigint> = { ...a.netDifferenceMinor };
  for (const [currency, v] of Object.entries(b.netDifferenceMinor)) net[currency] = (net[currency] ?? 0n) + v;
  return { byKind: add(a.byKind, b.byKind), byAge: add(a.byAge, b.byAge), netDifferenceMinor: net };
}
