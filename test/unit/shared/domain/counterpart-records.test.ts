import { describe, expect, it } from 'vitest';
import {
  PARTNER_LOAN_LAYOUT,
  PARTNER_REPAYMENT_LAYOUT,
  buildPartnerLoan,
  buildPartnerRepayment,
  CURRENCY_ALIASES,
  CounterpartFileError,
  DATE_FORMATS,
  GENERIC_BANK_MAPPING,
  validateBankStatementMapping,
  type BankStatementMappingInput,
} from '../../../../shared/domain/counterpart-records.ts';
import { ValidationError } from '../../../../shared/domain/errors.ts';
import { thrownBy } from '../../../support/expect-error.ts';

const minimal: BankStatementMappingInput = {
  bankId: 'BOC-SH',
  name: ' 中国银行 上海分行 对公流水 ',
  format: { kind: 'CSV' },
  columns: { bankReference: '交易流水号', valueDate: ['交易日期', '记账日期'] },
  amount: { kind: 'SIGNED', column: '交易金额' },
  currency: { column: '币种' },
};

/** The issues of a refused mapping, without their messages. */
function issuesOf(input: BankStatementMappingInput) {
  const error = thrownBy(ValidationError, () => validateBankStatementMapping(input));
  return (error.details.issues as { path: string; rule: string }[]).map(({ path, rule }) => ({ path, rule }));
}

describe('validateBankStatementMapping', () => {
  it('fills the defaults and makes every column a list of names', () => {
    expect(validateBankStatementMapping(minimal)).toEqual({
      bankId: 'BOC-SH',
      name: '中国银行 上海分行 对公流水',
      format: { kind: 'CSV', delimiter: ',' },
      headerRow: 1,
      columns: { bankReference: ['交易流水号'], valueDate: ['交易日期', '记账日期'] },
      amount: { kind: 'SIGNED', column: ['交易金额'], creditIs: 'POSITIVE' },
      currency: { column: ['币种'], aliases: CURRENCY_ALIASES },
      dateFormats: DATE_FORMATS,
      thousandsSeparator: false,
      memoPatterns: {},
      endMarkers: [],
    });
  });

  it('keeps a valid mapping as it is: the built-in one validates to itself', () => {
    expect(validateBankStatementMapping(GENERIC_BANK_MAPPING)).toEqual(GENERIC_BANK_MAPPING);
  });

  it('lists every problem with the field path and the rule; the first names the error', () => {
    const error = thrownBy(ValidationError, () =>
      validateBankStatementMapping({
        ...minimal,
        bankId: 'BOC#SH',
        name: ' ',
        format: { kind: 'XLSX', sheet: 0 },
        headerRow: 0,
        columns: { bankReference: [], valueDate: '交易日期', memo: [''] },
        amount: { kind: 'DEBIT_CREDIT', debit: ['借方', '发生额'], credit: ['贷方', '发生额'] },
        currency: { column: '币种', aliases: { 美元: 'USD' } },
        dateFormats: ['DD/MM/YYYY'],
        memoPatterns: { instructionId: '(SI-(x)', repaymentId: '(R)-(\\d+)' },
        endMarkers: ['合计', ''],
      }),
    );
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.details).toMatchObject({ path: 'bankId', rule: 'id-format' });
    expect((error.details.issues as { path: string; rule: string }[]).map(({ path, rule }) => ({ path, rule }))).toEqual([
      { path: 'bankId', rule: 'id-format' },
      { path: 'name', rule: 'required' },
      { path: 'format.sheet', rule: 'sheet' },
      { path: 'headerRow', rule: 'header-row' },
      { path: 'columns.bankReference', rule: 'min-items' },
      { path: 'columns.memo.0', rule: 'column-name' },
      { path: 'amount.credit', rule: 'distinct-columns' },
      { path: 'currency.aliases.美元', rule: 'currency' },
      { path: 'dateFormats.0', rule: 'date-format' },
      { path: 'memoPatterns.instructionId', rule: 'pattern' },
      { path: 'memoPatterns.repaymentId', rule: 'pattern-groups' },
      { path: 'endMarkers.1', rule: 'required' },
    ]);
  });

  it.each([
    ['a delimiter it does not know', { format: { kind: 'CSV', delimiter: '#' } }, 'format.delimiter', 'delimiter'],
    ['an encoding it does not read', { encoding: 'UTF-16' }, 'encoding', 'encoding'],
    ['an unknown fixed currency', { currency: { fixed: 'usd' } }, 'currency.fixed', 'currency'],
    ['memo patterns without a memo column', { memoPatterns: { instructionId: 'SI-\\d+' } }, 'columns.memo', 'required'],
    ['a flag meaning both directions', { amount: { kind: 'DIRECTION', column: '金额', direction: '借贷', credit: ['贷'], debit: ['借', '贷'] } }, 'amount.debit', 'distinct-flags'],
    ['no flag for a direction', { amount: { kind: 'DIRECTION', column: '金额', direction: '借贷', credit: [], debit: ['借'] } }, 'amount.credit', 'min-items'],
    ['no date format', { dateFormats: [] }, 'dateFormats', 'min-items'],
  ])('refuses %s', (_case, change, path, rule) => {
    expect(issuesOf({ ...minimal, ...(change as Partial<BankStatementMappingInput>) })).toEqual([{ path, rule }]);
  });
});

describe('CounterpartFileError', () => {
  it('is FILE_MALFORMED with the problems in its details and the first in its message', () => {
    const error = new CounterpartFileError(
      [
        { line: 7, path: 'amountMinor', rule: 'decimal-format', message: '贷方发生额 must be an amount in major units such as 1234.56 (got "abc")' },
        { line: 9, path: 'valueDate', rule: 'date', message: 'x' },
      ],
      false,
    );
    expect([error.code, error.message]).toEqual(['FILE_MALFORMED', 'the file is refused whole: line 7, amountMinor: 贷方发生额 must be an amount in major units such as 1234.56 (got "abc") (and 1 more)']);
    expect(error.details).toEqual({ errors: error.errors, truncated: false });
  });
});

describe('layout builders', () => {
  it.each([
    ['repayment detail', PARTNER_REPAYMENT_LAYOUT, buildPartnerRepayment],
    ['loan master', PARTNER_LOAN_LAYOUT, buildPartnerLoan],
  ] as const)('build the %s record field by field in the layout order', (_name, layout, build) => {
    const values = layout.map((c) => `value of ${c.column}`);
    const record = build(7, values) as unknown as Record<string, unknown>;
    expect(Object.keys(record)).toEqual(['line', ...layout.map((c) => c.field)]);
    expect(Object.values(record)).toEqual([7, ...values]);
  });
});
