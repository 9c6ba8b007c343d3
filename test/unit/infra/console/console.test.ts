import { describe, expect, it } from 'vitest';
import { principalOf } from '../../../../infra/console/caller.ts';
import { isPlatform, mayRecordExecution } from '../../../../infra/console/context.ts';
import { chartValue, money } from '../../../../infra/console/format.ts';
import { COMPONENT_ORDER, DEFAULT_LANGUAGE, DICTIONARY, label, LANGUAGES } from '../../../../infra/console/i18n.ts';
import { SETTLEMENT_COMPONENTS } from '../../../../shared/domain/ledger.ts';
import type { PartnerLoanRow, PartnerRepaymentRow } from '../../../../shared/domain/counterpart-records.ts';
import { expectedRecord, loanRowRecord, repaymentRowRecord } from '../../../../shared/domain/reconciliation-records.ts';
import { collectionSeries } from '../../../../infra/console/series.ts';
import { routeSpec } from '../../../../shared/http/routes.ts';
import { holdsAnyOf } from '../../../../shared/domain/access.ts';
import { financeOf, leadOps, PARTNER_A, partnerOf, platformFinance } from '../../../support/builders.ts';

describe("the console's labels", () => {
  it('has every label in Chinese and in English, Chinese first', () => {
    expect(DEFAULT_LANGUAGE).toBe('zh');
    const keys = Object.keys(DICTIONARY.zh).sort();
    for (const language of LANGUAGES) {
      expect(Object.keys(DICTIONARY[language]).sort()).toEqual(keys);
      for (const key of keys) expect(DICTIONARY[language][key as keyof typeof DICTIONARY.zh].trim(), `${language} ${key}`).not.toBe('');
    }
    // The Chinese labels are Chinese (the product name and the language switch aside).
    const latin = keys.filter((k) => !/[\u4e00-\u9fff]/.test(DICTIONARY.zh[k as keyof typeof DICTIONARY.zh]));
    expect(latin).toEqual(['app.product', 'language.switch']);
    expect([label('zh', 'language.switch'), label('en', 'language.switch')]).toEqual(['English', '中文']);
  });

  it("names every settlement component, in the ledger's order", () => {
    expect(COMPONENT_ORDER).toEqual([...SETTLEMENT_COMPONENTS]);
  });

  it('names every field a reconciliation compares, in both languages, so a break never shows a bare column name', () => {
    const amounts = { principalMinor: 1n, interestMinor: 1n, penaltyMinor: 0n, feeMinor: 0n, suspenseMinor: 0n, guaranteeMinor: 0n, lossMinor: 0n, totalMinor: 2n };
    const records = [
      repaymentRowRecord({ line: 1, lenderId: 'A', loanId: 'L', eventId: 'E', eventType: 'REPAYMENT', valueDate: '2026-03-02', currency: 'CNY', ...amounts } as unknown as PartnerRepaymentRow),
      loanRowRecord({ line: 1, lenderId: 'A', loanId: 'L', currency: 'CNY', disbursementDate: '2026-01-05', fundingShare: '0.3', dpd: 0, classification: 'NORMAL' } as unknown as PartnerLoanRow),
      expectedRecord({ direction: 'IN', id: 'R-1', line: 1, lenderId: 'A', currency: 'CNY', date: '2026-03-02', amountMinor: 5n } as unknown as Parameters<typeof expectedRecord>[0]),
    ];
    const names = new Set(records.flatMap((r) => [r.dateName, ...Object.keys(r.amountsMinor), ...Object.keys(r.figures), ...Object.keys(r.attributes)]));
    const unnamed = [...names].filter((name) => !(SETTLEMENT_COMPONENTS as readonly string[]).includes(name) && !(`field.${name}` in DICTIONARY.zh && `field.${name}` in DICTIONARY.en));
    expect(unnamed).toEqual([]);
    expect(names.size).toBeGreaterThan(18);
  });

  it('fills placeholders and leaves unknown ones as they are', () => {
    expect(label('zh', 'date.latest', { date: '2026-12-02' })).toBe('最近已结算：2026-12-02');
    expect(label('en', 'instructions.recordedBy', { by: 'fin.wang', at: '2026-12-03 10:00:00' })).toBe('recorded by fin.wang at 2026-12-03 10:00:00');
    expect(label('en', 'date.latest')).toBe('Latest settled: {date}');
  });
});

describe("the console's amounts", () => {
  it('shows minor units exactly, in major units with thousands grouped', () => {
    expect(money('273514', 'CNY')).toBe('2,735.14');
    expect(money('-2700', 'CNY')).toBe('-27.00');
    expect(money('5', 'CNY')).toBe('0.05');
    expect(money('123456789012345678901', 'CNY')).toBe('1,234,567,890,123,456,789.01');
    expect(money('100000', 'INR')).toBe('1,000.00');
    expect(money('12.5', 'CNY')).toBe('12.5 CNY');
    expect(money('100', 'XYZ')).toBe('100 XYZ');
  });

  it('draws charts in major units', () => {
    expect(chartValue('150902', 'CNY')).toBe(1509.02);
  });
});

describe('the chart of collections per lender per day', () => {
  const run = (businessDate: string, status: 'SETTLED' | 'RUNNING', collections: [string, string][]) => ({
    businessDate,
    status,
    attempt: 1,
    settledAt: null,
    daysByCalendar: { CN: [businessDate] },
    collections: collections.map(([lenderId, collectedMinor]) => ({ lenderId, currency: 'CNY', collectedMinor, componentsMinor: {}, owedToEscrowMinor: '0', netMinor: collectedMinor })),
  });

  it('has one line per lender over the dates: zero when a settled date collected nothing for it, a gap while a run is not settled', () => {
    const series = collectionSeries([run('2026-11-27', 'SETTLED', [['JN_RCB', '23787']]), run('2026-11-30', 'SETTLED', [['LS_IB', '45'], ['JN_RCB', '150902']]), run('2026-12-01', 'RUNNING', [])]);
    expect(series).toEqual({
      dates: ['2026-11-27', '2026-11-30', '2026-12-01'],
      lines: [
        { label: 'JN_RCB CNY', values: [237.87, 1509.02, null] },
        { label: 'LS_IB CNY', values: [0, 0.45, null] },
      ],
    });
    expect(collectionSeries([])).toEqual({ dates: [], lines: [] });
  });
});

describe("the console's caller", () => {
  const token = (claims: Record<string, unknown>) => `e30.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.sig`;

  it('reads the caller from the token as the API does, and nothing from a token the API would refuse', () => {
    expect(principalOf(token({ scope: 'colend/finance', client_id: 'local-console', username: '王芳', lender_id: 'JN_RCB' }))).toEqual({ roles: ['FINANCE'], clientId: 'local-console', userId: '王芳', lenderId: 'JN_RCB' });
    expect(principalOf(token({ scope: 'colend/lead colend/finance', client_id: 'x' }))).toEqual({ roles: ['LEAD', 'FINANCE'], clientId: 'x', userId: 'x', lenderId: null });
    expect(principalOf(token({ scope: 'openid', client_id: 'x' }))).toBeNull();
    expect(principalOf('not a token')).toBeNull();
  });

  it('offers to record a bank reference exactly to the platform callers the route lets in', () => {
    const route = routeSpec('POST /v1/settlement-runs/{businessDate}/instructions/{instructionId}/executed')!;
    for (const principal of [leadOps, platformFinance, financeOf(PARTNER_A), partnerOf(PARTNER_A)]) {
      expect(mayRecordExecution(principal), `${principal.roles.join()} ${principal.lenderId}`).toBe(holdsAnyOf(principal, route.roles) && isPlatform(principal));
    }
    expect([leadOps, platformFinance, financeOf(PARTNER_A), partnerOf(PARTNER_A)].map(mayRecordExecution)).toEqual([true, true, false, false]);
  });
});
