import { describe, expect, it } from 'vitest';
import { REGULATORY_PROFILES, REGULATORY_PROFILE_IDS, formatBps } from '../../../../shared/domain/regulatory-profile.ts';

describe('regulatory profiles', () => {
  it('CN-2021 holds the figures of the 2020 measures and the 2021 notice', () => {
    expect(REGULATORY_PROFILES['CN-2021']).toMatchObject({
      currency: 'CNY',
      minPartnerShareBps: 3000,
      minLenderShareBps: 0,
      maxSinglePartnerToTier1Bps: 2500,
      maxJointToTotalLoansBps: 5000,
      unsecuredPersonalCapMinor: 20_000_000n,
      bulletMaxTermMonths: 12,
      localBanksRegionRestricted: true,
      maxDefaultLossGuaranteeBps: null,
    });
  });

  it('IN-2025 holds the figures of the 2025 co-lending directions', () => {
    expect(REGULATORY_PROFILES['IN-2025']).toMatchObject({
      currency: 'INR',
      minPartnerShareBps: 1000,
      minLenderShareBps: 1000,
      unsecuredPersonalCapMinor: null,
      bulletMaxTermMonths: null,
      localBanksRegionRestricted: false,
      partnerTakeWithinDays: 15,
      maxDefaultLossGuaranteeBps: 500,
    });
  });

  it('has classification floors by days past due in increasing order', () => {
    expect(REGULATORY_PROFILES['CN-2021'].classificationFloors.map((f) => [f.dpdOver, f.atLeast])).toEqual([
      [0, 'SPECIAL_MENTION'],
      [90, 'SUBSTANDARD'],
      [270, 'DOUBTFUL'],
      [360, 'LOSS'],
    ]);
    expect(REGULATORY_PROFILES['IN-2025'].classificationFloors.map((f) => [f.dpdOver, f.atLeast])).toEqual([
      [0, 'SMA_0'],
      [30, 'SMA_1'],
      [60, 'SMA_2'],
      [90, 'SUBSTANDARD'],
    ]);
  });

  it("has each profile's classes and its rules of upgrade as data", () => {
    const cn = REGULATORY_PROFILES['CN-2021'];
    const india = REGULATORY_PROFILES['IN-2025'];
    expect([cn.classes, cn.nonPerformingFrom, cn.upgradeObservationMonths, cn.nonPerformingAgeFloors]).toEqual([
      ['NORMAL', 'SPECIAL_MENTION', 'SUBSTANDARD', 'DOUBTFUL', 'LOSS'],
      'SUBSTANDARD',
      6,
      [],
    ]);
    expect([india.classes, india.nonPerformingFrom, india.upgradeObservationMonths, india.nonPerformingAgeFloors]).toEqual([
      ['NORMAL', 'SMA_0', 'SMA_1', 'SMA_2', 'SUBSTANDARD', 'DOUBTFUL', 'LOSS'],
      'SUBSTANDARD',
      0,
      [{ monthsAtLeast: 12, atLeast: 'DOUBTFUL' }],
    ]);
  });

  it('lists every profile id', () => {
    expect(REGULATORY_PROFILE_IDS).toEqual(['CN-2021', 'IN-2025']);
  });
});

describe('formatBps', () => {
  it.each([
    [3000, '30%'],
    [2999, '29.99%'],
    [2990, '29.90%'],
    [5, '0.05%'],
    [0, '0%'],
    [10_000, '100%'],
    [501n, '5.01%'],
    [-5, '-0.05%'],
    [-150, '-1.50%'],
    [-200n, '-2%'],
  ])('%s bps is %s', (bps, text) => {
    expect(formatBps(bps)).toBe(text);
  });
});
