/**
 * Regulatory profiles are data: a change of rule is a change of these figures, never of code.
 * Ratios are basis points of the whole (10000 = 100%), amounts are minor units.
 */
export type RegulatoryProfileId = 'CN-2021' | 'IN-2025';

export interface RegulatoryProfile {
  readonly id: RegulatoryProfileId;
  readonly title: string;
  readonly currency: string;
  /** A partner funds at least this share of each joint loan (CN-2021: 30%). */
  readonly minPartnerShareBps: number;
  /** Every lender, lead included, keeps at least this share of each loan (IN-2025: 10%). */
  readonly minLenderShareBps: number;
  /** Joint loans of a bank with one partner, at most this share of its net tier-1 capital. */
  readonly maxSinglePartnerToTier1Bps: number | null;
  /** A bank's joint loans with all partners, at most this share of its total loans. */
  readonly maxJointToTotalLoansBps: number | null;
  /** Unsecured personal credit per borrower, across all its loans. */
  readonly unsecuredPersonalCapMinor: bigint | null;
  /** Bullet (one repayment at maturity) loans may not run longer than this. */
  readonly bulletMaxTermMonths: number | null;
  /** A local bank lends online only to borrowers of its own region. */
  readonly localBanksRegionRestricted: boolean;
  /** The partner takes its share within this many calendar days of disbursement. */
  readonly partnerTakeWithinDays: number | null;
  /** The originator's default-loss guarantee, at most this share of loans outstanding. */
  readonly maxDefaultLossGuaranteeBps: number | null;
  /** The profile's classes of a loan, best to worst. */
  readonly classes: readonly Classification[];
  /** Classification floors by days past due (more than `dpdOver` days), in the profile's classes. */
  readonly classificationFloors: readonly { readonly dpdOver: number; readonly atLeast: Classification }[];
  /**
   * The first non-performing class: a loan in it or a worse one keeps its class (or worsens) until
   * every arrear is paid, and then for `upgradeObservationMonths` more; a performing class follows
   * the days past due both ways.
   */
  readonly nonPerformingFrom: Classification;
  /** Months a non-performing loan stays clear of arrears before it moves back up (0: at once). */
  readonly upgradeObservationMonths: number;
  /** Floors by time as non-performing: at least `atLeast` once non-performing for `monthsAtLeast` months. */
  readonly nonPerformingAgeFloors: readonly { readonly monthsAtLeast: number; readonly atLeast: Classification }[];
}

/**
 * A loan's class. CN-2021 uses the five categories (正常/关注/次级/可疑/损失); IN-2025 uses the
 * RBI's: standard (NORMAL), special mention accounts SMA-0, SMA-1, SMA-2, and the non-performing
 * sub-standard, doubtful and loss assets.
 */
export type Classification = 'NORMAL' | 'SMA_0' | 'SMA_1' | 'SMA_2' | 'SPECIAL_MENTION' | 'SUBSTANDARD' | 'DOUBTFUL' | 'LOSS';

/** 2023 financial-asset risk classification measures (商业银行金融资产风险分类办法). */
const CN_CLASSIFICATION = {
  classes: ['NORMAL', 'SPECIAL_MENTION', 'SUBSTANDARD', 'DOUBTFUL', 'LOSS'],
  classificationFloors: [
    { dpdOver: 0, atLeast: 'SPECIAL_MENTION' },
    { dpdOver: 90, atLeast: 'SUBSTANDARD' },
    { dpdOver: 270, atLeast: 'DOUBTFUL' },
    { dpdOver: 360, atLeast: 'LOSS' },
  ],
  nonPerformingFrom: 'SUBSTANDARD',
  // Arrears repaid, then at least two consecutive repayment periods or six months, whichever is
  // longer, paid in full on time: with monthly instalments, six months.
  upgradeObservationMonths: 6,
  nonPerformingAgeFloors: [],
} as const;

/**
 * RBI: SMA-0 1-30 days overdue, SMA-1 31-60, SMA-2 61-90, NPA past 90; an NPA is sub-standard for
 * 12 months, then doubtful; upgraded to standard only when all arrears are paid. A loss asset is
 * one the bank, its auditors or the RBI identify as such, not a count of days: no floor reaches it.
 */
const IN_CLASSIFICATION = {
  classes: ['NORMAL', 'SMA_0', 'SMA_1', 'SMA_2', 'SUBSTANDARD', 'DOUBTFUL', 'LOSS'],
  classificationFloors: [
    { dpdOver: 0, atLeast: 'SMA_0' },
    { dpdOver: 30, atLeast: 'SMA_1' },
    { dpdOver: 60, atLeast: 'SMA_2' },
    { dpdOver: 90, atLeast: 'SUBSTANDARD' },
  ],
  nonPerformingFrom: 'SUBSTANDARD',
  upgradeObservationMonths: 0,
  nonPerformingAgeFloors: [{ monthsAtLeast: 12, atLeast: 'DOUBTFUL' }],
} as const;

export const REGULATORY_PROFILES: Readonly<Record<RegulatoryProfileId, RegulatoryProfile>> = {
  'CN-2021': {
    id: 'CN-2021',
    title: 'Interim Measures for Internet Loans of Commercial Banks (2020) and the 2021 notice',
    currency: 'CNY',
    minPartnerShareBps: 3000,
    minLenderShareBps: 0,
    maxSinglePartnerToTier1Bps: 2500,
    maxJointToTotalLoansBps: 5000,
    unsecuredPersonalCapMinor: 20_000_000n,
    bulletMaxTermMonths: 12,
    localBanksRegionRestricted: true,
    partnerTakeWithinDays: null,
    maxDefaultLossGuaranteeBps: null,
    ...CN_CLASSIFICATION,
  },
  'IN-2025': {
    id: 'IN-2025',
    title: 'Reserve Bank of India co-lending directions (2025)',
    currency: 'INR',
    minPartnerShareBps: 1000,
    minLenderShareBps: 1000,
    maxSinglePartnerToTier1Bps: null,
    maxJointToTotalLoansBps: null,
    unsecuredPersonalCapMinor: null,
    bulletMaxTermMonths: null,
    localBanksRegionRestricted: false,
    partnerTakeWithinDays: 15,
    maxDefaultLossGuaranteeBps: 500,
    ...IN_CLASSIFICATION,
  },
};

export const REGULATORY_PROFILE_IDS = Object.keys(REGULATORY_PROFILES) as RegulatoryProfileId[];

/** Rule names used in refusals, so a caller can tell which rule and look it up. */
export const RULES = {
  partnerMinShare: 'PARTNER_MIN_SHARE',
  lenderMinShare: 'LENDER_MIN_SHARE',
  unsecuredPersonalCap: 'UNSECURED_PERSONAL_CAP',
  bulletMaxTerm: 'BULLET_MAX_TERM',
  localBankRegion: 'LOCAL_BANK_REGION',
  currency: 'PROFILE_CURRENCY',
  singlePartnerTier1Cap: 'SINGLE_PARTNER_TIER1_CAP',
  jointToTotalLoansCap: 'JOINT_TO_TOTAL_LOANS_CAP',
} as const;

export function formatBps(bps: number | bigint): string {
  const value = BigInt(bps);
  // The sign is written separately: -5 bps is -0.05%, and -5n / 100n would drop it.
  const sign = value < 0n ? '-' : '';
  const magnitude = value < 0n ? -value : value;
  const whole = magnitude / 100n;
  const frac = magnitude % 100n;
  return frac === 0n ? `${sign}${whole}%` : `${sign}${whole}.${frac.toString().padStart(2, '0')}%`;
}
