import { invariant } from './errors.ts';
import type { Lender } from './lender.ts';
import { isFunding, type Program } from './program.ts';
import { FIGURE_OF_RULE, JOINT_LOAN_RULES, jointLoanCapBps, jointLoanLimit, type JointLoanLimit, type JointLoanRule } from './regulatory-checks.ts';
import { isBank, type RegulatoryFigures } from './regulatory-figures.ts';
import { REGULATORY_PROFILES, RULES, formatBps, type RegulatoryProfile, type RegulatoryProfileId } from './regulatory-profile.ts';

/**
 * The daily regulatory report of the lead (docs/regulatory-report.md): each bank's joint loans
 * outstanding at the end of a business date against its limits under the ratio rules of the
 * profile (CN-2021: 25% of net tier-1 capital with one counterparty, 50% of total loans with all),
 * the headroom left and a status. Pure and exact: amounts in minor units, shares in basis points,
 * every limit from `jointLoanLimit`, the definition allocation uses.
 */

/** A row reaching this share of its limit is NEAR: reported before the rule is broken. */
export const NEAR_LIMIT_BPS = 9000;

const WHOLE_BPS = 10_000n;

/** A loan's principal per lender at the end of the date, with what the report groups it by. */
export interface LoanPrincipals {
  readonly leadLenderId: string;
  readonly profile: RegulatoryProfileId;
  readonly currency: string;
  /** Each lender's principal outstanding in the loan; lenders with none are left out. */
  readonly principals: ReadonlyMap<string, bigint>;
}

/**
 * The sums the rows are read from. A shard's measures and a whole date's have the same shape, so
 * the shards of a date add up (`addMeasures`). Keys are joined with `|` (no id holds one).
 */
export interface JointLoanMeasures {
  /** Loans with principal outstanding at the end of the date. */
  readonly loans: number;
  /** `{lenderId}|{currency}`: a lender's principal in every joint loan it holds. */
  readonly totalMinor: Readonly<Record<string, bigint>>;
  /** `{leadLenderId}|{profile}|{lenderId}`: a lender's principal in the loans of the lead's programs under the profile. */
  readonly withLeadMinor: Readonly<Record<string, bigint>>;
  /** `{leadLenderId}|{profile}|{partnerId}`: the lead's own principal in the loans of its programs under the profile that the partner holds a part of. */
  readonly leadWithPartnerMinor: Readonly<Record<string, bigint>>;
}

export const NO_MEASURES: JointLoanMeasures = { loans: 0, totalMinor: {}, withLeadMinor: {}, leadWithPartnerMinor: {} };

const keyOf = (...parts: readonly string[]): string => parts.join('|');

function add(sums: Record<string, bigint>, key: string, amount: bigint): void {
  sums[key] = (sums[key] ?? 0n) + amount;
}

/** The measures of some loans: each lender's principal in total, with the lead, and the lead's with each partner. */
export function measureJointLoans(loans: readonly LoanPrincipals[]): JointLoanMeasures {
  const totalMinor: Record<string, bigint> = {};
  const withLeadMinor: Record<string, bigint> = {};
  const leadWithPartnerMinor: Record<string, bigint> = {};
  let count = 0;
  for (const loan of loans) {
    const held = [...loan.principals].filter(([, amount]) => amount !== 0n);
    if (held.length === 0) continue;
    count += 1;
    const lead = loan.leadLenderId;
    const leadPrincipal = loan.principals.get(lead) ?? 0n;
    for (const [lenderId, amount] of held) {
      add(totalMinor, keyOf(lenderId, loan.currency), amount);
      if (lenderId === lead) continue;
      add(withLeadMinor, keyOf(lead, loan.profile, lenderId), amount);
      if (leadPrincipal !== 0n) add(leadWithPartnerMinor, keyOf(lead, loan.profile, lenderId), leadPrincipal);
    }
  }
  return { loans: count, totalMinor, withLeadMinor, leadWithPartnerMinor };
}

/** The measures of two sets of loans taken together (the shards of a date). */
export function addMeasures(a: JointLoanMeasures, b: JointLoanMeasures): JointLoanMeasures {
  const sum = (x: Readonly<Record<string, bigint>>, y: Readonly<Record<string, bigint>>): Record<string, bigint> => {
    const out: Record<string, bigint> = { ...x };
    for (const [key, amount] of Object.entries(y)) add(out, key, amount);
    return out;
  };
  return {
    loans: a.loans + b.loans,
    totalMinor: sum(a.totalMinor, b.totalMinor),
    withLeadMinor: sum(a.withLeadMinor, b.withLeadMinor),
    leadWithPartnerMinor: sum(a.leadWithPartnerMinor, b.leadWithPartnerMinor),
  };
}

export type ReportStatus = 'OK' | 'NEAR' | 'BREACHED' | 'FIGURES_MISSING';
export const REPORT_STATUSES: readonly ReportStatus[] = ['OK', 'NEAR', 'BREACHED', 'FIGURES_MISSING'];

/** One rule for one bank (and, under the tier-1 rule, one counterparty). */
export interface ReportRow {
  /** The bank the rule binds. */
  readonly lenderId: string;
  readonly role: 'PARTNER' | 'LEAD';
  readonly rule: JointLoanRule;
  /** Under the tier-1 rule the other party (the lead for a partner's row, a partner for the lead's); null under the total-loans rule: every counterparty. */
  readonly counterpartyId: string | null;
  readonly currency: string;
  /** The bank's own principal of the joint loans the rule counts, at the end of the date. */
  readonly outstandingMinor: bigint;
  readonly capBps: number;
  /** Net tier-1 capital or total loans in force on the date; null when missing. */
  readonly figureMinor: bigint | null;
  /** Which figures: their effective date, version and source; null when missing. */
  readonly figures: { readonly effectiveDate: string; readonly version: number; readonly source: string } | null;
  /** `capBps` of the figure, rounded down. */
  readonly limitMinor: bigint | null;
  /** Outstanding as a share of the figure, rounded up to 0.01% (compare with the cap). */
  readonly ratio: string | null;
  /** Outstanding as a share of the limit, rounded up to 0.01%. */
  readonly usage: string | null;
  /** Limit less outstanding; negative when the rule is broken. */
  readonly headroomMinor: bigint | null;
  readonly status: ReportStatus;
}

/** The rows of one lead's programs under one profile. */
export interface ReportSection {
  readonly leadLenderId: string;
  readonly profile: RegulatoryProfileId;
  readonly currency: string;
  readonly partnerIds: readonly string[];
  readonly rows: readonly ReportRow[];
  /** Lenders of the section the rules do not bind (not banks): named, so no row is missing unexplained. */
  readonly notBound: readonly { readonly lenderId: string; readonly reason: string }[];
}

export interface RegulatoryReport {
  readonly businessDate: string;
  readonly nearLimitBps: number;
  readonly sections: readonly ReportSection[];
  readonly counts: Readonly<Record<ReportStatus, number>>;
}

/** Outstanding as a share of a whole, rounded up to a basis point (never shown below what it is); null of a zero whole. */
function shareUp(outstandingMinor: bigint, wholeMinor: bigint): string | null {
  if (wholeMinor <= 0n) return null;
  return formatBps((outstandingMinor * WHOLE_BPS + wholeMinor - 1n) / wholeMinor);
}

/** BREACHED above the limit; NEAR from `NEAR_LIMIT_BPS` of it up to the limit itself (no fen of room left at 100%); OK below. */
export function statusOf(limit: Pick<JointLoanLimit, 'limitMinor' | 'outstandingMinor' | 'headroomMinor'>): Exclude<ReportStatus, 'FIGURES_MISSING'> {
  if (limit.headroomMinor < 0n) return 'BREACHED';
  return limit.outstandingMinor * WHOLE_BPS >= limit.limitMinor * BigInt(NEAR_LIMIT_BPS) ? 'NEAR' : 'OK';
}

interface RowSpec {
  readonly profile: RegulatoryProfile;
  readonly rule: JointLoanRule;
  readonly lenderId: string;
  readonly role: ReportRow['role'];
  readonly counterpartyId: string | null;
  readonly outstandingMinor: bigint;
  readonly inForce: RegulatoryFigures | null;
}

function rowOf(spec: RowSpec): ReportRow {
  const { profile, rule, inForce, outstandingMinor } = spec;
  const capBps = jointLoanCapBps(profile, rule);
  invariant(capBps !== null, 'a row is made only for a rule its profile sets', { rule, profile: profile.id });
  const figureMinor = inForce === null ? null : inForce[FIGURE_OF_RULE[rule]];
  const base = { lenderId: spec.lenderId, role: spec.role, rule, counterpartyId: spec.counterpartyId, currency: profile.currency, outstandingMinor, capBps };
  const limit = jointLoanLimit(profile, rule, figureMinor, outstandingMinor);
  if (inForce === null || limit === null) {
    return { ...base, figureMinor: null, figures: null, limitMinor: null, ratio: null, usage: null, headroomMinor: null, status: 'FIGURES_MISSING' };
  }
  return {
    ...base,
    figureMinor: limit.figureMinor,
    figures: { effectiveDate: inForce.effectiveDate, version: inForce.version, source: inForce.source },
    limitMinor: limit.limitMinor,
    ratio: shareUp(outstandingMinor, limit.figureMinor),
    usage: shareUp(outstandingMinor, limit.limitMinor),
    headroomMinor: limit.headroomMinor,
    status: statusOf(limit),
  };
}

interface SectionSpec {
  readonly leadLenderId: string;
  readonly profile: RegulatoryProfile;
  readonly partnerIds: ReadonlySet<string>;
}

const setsARule = (profile: RegulatoryProfile): boolean => JOINT_LOAN_RULES.some((rule) => jointLoanCapBps(profile, rule) !== null);

/**
 * One section per lead and profile that sets a ratio rule, from every program version and every
 * loan measured: its partners are the programs' funding partners and any other lender holding a
 * part of its loans at the end of the date, so a partner with nothing outstanding still shows its
 * headroom.
 */
function sectionsOf(programs: readonly Program[], measures: JointLoanMeasures): SectionSpec[] {
  const sections = new Map<string, { leadLenderId: string; profile: RegulatoryProfile; partnerIds: Set<string> }>();
  const sectionOf = (leadLenderId: string, profileId: RegulatoryProfileId) => {
    const key = keyOf(leadLenderId, profileId);
    let section = sections.get(key);
    if (section === undefined) {
      section = { leadLenderId, profile: REGULATORY_PROFILES[profileId], partnerIds: new Set() };
      sections.set(key, section);
    }
    return section;
  };
  for (const program of programs) {
    const section = sectionOf(program.leadLenderId, program.regulatoryProfile);
    for (const p of program.participants) if (isFunding(p) && p.role === 'PARTNER' && p.lenderId !== program.leadLenderId) section.partnerIds.add(p.lenderId);
  }
  for (const key of [...Object.keys(measures.withLeadMinor), ...Object.keys(measures.leadWithPartnerMinor)]) {
    const [lead, profileId, lenderId] = key.split('|') as [string, RegulatoryProfileId, string];
    sectionOf(lead, profileId).partnerIds.add(lenderId);
  }
  return [...sections.values()]
    .filter((s) => setsARule(s.profile))
    .sort((a, b) => (a.leadLenderId === b.leadLenderId ? (a.profile.id < b.profile.id ? -1 : 1) : a.leadLenderId < b.leadLenderId ? -1 : 1));
}

export interface ReportInput {
  readonly businessDate: string;
  /** Every program version: the leads, their profiles and their partners. */
  readonly programs: readonly Program[];
  readonly lenders: ReadonlyMap<string, Lender>;
  /** Each lender's figures in force on the date (`figuresInForce`); null or absent when it has none. */
  readonly figures: ReadonlyMap<string, RegulatoryFigures | null>;
  readonly measures: JointLoanMeasures;
}

/**
 * The report of a date. For each lead and profile: every partner bank under the tier-1 rule (its
 * joint loans with the lead) and the total-loans rule (its joint loans with every counterparty),
 * then the lead, when it is a bank, under the tier-1 rule with each partner and the total-loans
 * rule. A lender that is not a bank is named in `notBound`.
 */
export function regulatoryReport(input: ReportInput): RegulatoryReport {
  const { measures } = input;
  const lenderOf = (lenderId: string): Lender => {
    const lender = input.lenders.get(lenderId);
    invariant(lender !== undefined, 'every lender of a program or a loan is registered', { lenderId });
    return lender;
  };
  const inForce = (lenderId: string): RegulatoryFigures | null => input.figures.get(lenderId) ?? null;
  const notBoundOf = (lender: Lender) => ({ lenderId: lender.lenderId, reason: `a ${lender.institutionType}: the ratio rules bind banks` });
  const sections = sectionsOf(input.programs, measures).map((spec): ReportSection => {
    const { profile, leadLenderId: lead } = spec;
    const partnerIds = [...spec.partnerIds].sort();
    const rules = JOINT_LOAN_RULES.filter((rule) => jointLoanCapBps(profile, rule) !== null);
    const rows: ReportRow[] = [];
    const notBound: { lenderId: string; reason: string }[] = [];
    const totalOf = (lenderId: string): bigint => measures.totalMinor[keyOf(lenderId, profile.currency)] ?? 0n;
    for (const partnerId of partnerIds) {
      const partner = lenderOf(partnerId);
      if (!isBank(partner)) {
        notBound.push(notBoundOf(partner));
        continue;
      }
      for (const rule of rules) {
        const tier1 = rule === RULES.singlePartnerTier1Cap;
        const outstandingMinor = tier1 ? (measures.withLeadMinor[keyOf(lead, profile.id, partnerId)] ?? 0n) : totalOf(partnerId);
        rows.push(rowOf({ profile, rule, lenderId: partnerId, role: 'PARTNER', counterpartyId: tier1 ? lead : null, outstandingMinor, inForce: inForce(partnerId) }));
      }
    }
    const leadLender = lenderOf(lead);
    if (!isBank(leadLender)) notBound.push(notBoundOf(leadLender));
    else {
      for (const rule of rules) {
        if (rule !== RULES.singlePartnerTier1Cap) {
          rows.push(rowOf({ profile, rule, lenderId: lead, role: 'LEAD', counterpartyId: null, outstandingMinor: totalOf(lead), inForce: inForce(lead) }));
          continue;
        }
        for (const partnerId of partnerIds) {
          const outstandingMinor = measures.leadWithPartnerMinor[keyOf(lead, profile.id, partnerId)] ?? 0n;
          rows.push(rowOf({ profile, rule, lenderId: lead, role: 'LEAD', counterpartyId: partnerId, outstandingMinor, inForce: inForce(lead) }));
        }
      }
    }
    return { leadLenderId: lead, profile: profile.id, currency: profile.currency, partnerIds, rows, notBound };
  });
  const counts = Object.fromEntries(REPORT_STATUSES.map((s) => [s, 0])) as Record<ReportStatus, number>;
  for (const row of sections.flatMap((s) => s.rows)) counts[row.status] += 1;
  return { businessDate: input.businessDate, nearLimitBps: NEAR_LIMIT_BPS, sections, counts };
}
