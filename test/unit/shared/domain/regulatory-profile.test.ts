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
