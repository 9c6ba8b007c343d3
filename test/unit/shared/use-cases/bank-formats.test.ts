import { expiresAtEpochSeconds } from '../../../../shared/http/idempotency.ts';
import { describe, expect, it } from 'vitest';
import { BUILT_IN_BANK_FORMATS, GENERIC_BANK_ID, GENERIC_BANK_MAPPING, type BankStatementMappingInput } from '../../../../shared/domain/counterpart-records.ts';
import { NotFound, ValidationError } from '../../../../shared/domain/errors.ts';
import { WriteConflict, type Seal } from '../../../../shared/ports/stores.ts';
import { bankFormat, listBankFormats, loadBankFormat } from '../../../../shared/use-cases/bank-formats.ts';
import { NOW } from '../../../support/builders.ts';
import { createInMemoryStores } from '../../../support/in-memory-stores.ts';
import { rejectedBy } from '../../../support/expect-error.ts';

const seal: Seal = (statusCode, body) => ({ scopeKey: `k#${JSON.stringify(body).length}#${Math.random()}`, requestHash: 'h', statusCode, responseBody: JSON.stringify(body, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)), createdAt: NOW, expiresAtEpochSeconds: expiresAtEpochSeconds(NOW) });
const input: Omit<BankStatementMappingInput, 'bankId'> = {
  name: '工商银行 对公流水',
  format: { kind: 'XLSX', sheet: '明细' },
  columns: { bankReference: '交易流水号', valueDate: '交易日期' },
  amount: { kind: 'DEBIT_CREDIT', debit: '借方发生额', credit: '贷方发生额' },
  currency: { fixed: 'CNY' },
};

describe('bank formats', () => {
  it('stores each load as the next version, with who loaded it and when, the mapping checked and completed', async () => {
    const stores = createInMemoryStores();
    const first = await loadBankFormat(stores, 'ICBC', input, 'finance-client', seal, NOW);
    const second = await loadBankFormat(stores, 'ICBC', { ...input, headerRow: 3 }, 'lead-client', seal, NOW);
    expect([first.version, second.version, second.loadedBy, second.loadedAt, second.mapping.headerRow, first.mapping.format]).toEqual([1, 2, 'lead-client', NOW, 3, { kind: 'XLSX', sheet: '明细' }]);
    expect(await bankFormat(stores, 'ICBC', null)).toEqual(second);
    expect(await bankFormat(stores, 'ICBC', 1)).toEqual(first);
  });

  it('takes the next number when another load won the race for one', async () => {
    const stores = createInMemoryStores();
    const versions = stores.bankFormats.versions.bind(stores.bankFormats);
    let raced = false;
    stores.bankFormats.versions = async (bankId) => {
      const seen = await versions(bankId);
      if (!raced) {
        raced = true;
        await loadBankFormat(stores, bankId, input, 'other-client', seal, NOW);
      }
      return seen;
    };
    expect((await loadBankFormat(stores, 'ICBC', input, 'finance-client', seal, NOW)).version).toBe(2);
  });

  it('refuses a mapping that breaks a rule, naming the field, and writes nothing', async () => {
    const stores = createInMemoryStores();
    const error = await rejectedBy(ValidationError, () => loadBankFormat(stores, 'ICBC', { ...input, dateFormats: ['DD.MM.YYYY'] }, 'finance-client', seal, NOW));
    expect(error.details).toMatchObject({ path: 'dateFormats.0', rule: 'date-format' });
    expect([stores.db.bankFormats.size, stores.db.idempotency.size]).toEqual([0, 0]);
  });

  it('serves the built-in mapping as version 0 until a version is loaded for its id; lists the latest of each bank', async () => {
    const stores = createInMemoryStores();
    expect(await bankFormat(stores, GENERIC_BANK_ID, null)).toEqual(BUILT_IN_BANK_FORMATS[0]);
    await loadBankFormat(stores, 'ICBC', input, 'finance-client', seal, NOW);
    await loadBankFormat(stores, 'ICBC', input, 'finance-client', seal, NOW);
    const own = await loadBankFormat(stores, GENERIC_BANK_ID, { ...GENERIC_BANK_MAPPING, thousandsSeparator: false }, 'finance-client', seal, NOW);
    expect(own.version).toBe(1);
    expect((await listBankFormats(stores, { limit: 50 })).bankFormats.map((f) => [f.bankId, f.version])).toEqual([
      ['ICBC', 2],
      [GENERIC_BANK_ID, 1],
    ]);
    expect(await bankFormat(stores, GENERIC_BANK_ID, 0)).toEqual(BUILT_IN_BANK_FORMATS[0]);
  });

  it('pages the latest of each bank, one a page, the built-in one first while no bank has loaded its id; a cursor of another listing is a 400', async () => {
    const stores = createInMemoryStores();
    await loadBankFormat(stores, 'ICBC', input, 'finance-client', seal, NOW);
    await loadBankFormat(stores, 'ABC', input, 'finance-client', seal, NOW);
    const first = await listBankFormats(stores, { limit: 1 });
    expect(first.bankFormats.map((f) => [f.bankId, f.version])).toEqual([[GENERIC_BANK_ID, 0], ['ICBC', 1]]);
    const second = await listBankFormats(stores, { limit: 1, cursor: first.cursor ?? '' });
    expect(second.bankFormats.map((f) => [f.bankId, f.version])).toEqual([['ABC', 1]]);
    const last = await listBankFormats(stores, { limit: 1, cursor: second.cursor ?? '' });
    expect([last.bankFormats, last.cursor]).toEqual([[], null]);
    const programs = Buffer.from(JSON.stringify({ pk: 'PROGRAMS', sk: '1' })).toString('base64url');
    expect((await rejectedBy(ValidationError, () => listBankFormats(stores, { limit: 1, cursor: programs }))).details).toEqual({ path: 'cursor', rule: 'cursor' });
  });

  it('answers NOT_FOUND for a bank or a version never loaded', async () => {
    const stores = createInMemoryStores();
    expect((await rejectedBy(NotFound, () => bankFormat(stores, 'NOBANK', null))).message).toBe('bankFormat NOBANK was not found');
    expect((await rejectedBy(NotFound, () => bankFormat(stores, GENERIC_BANK_ID, 4))).message).toBe(`bankFormat ${GENERIC_BANK_ID} version 4 was not found`);
  });

  it('does not retry another conflict than a version taken', async () => {
    const stores = createInMemoryStores();
    stores.bankFormats.put = async () => {
      throw new WriteConflict('IDEMPOTENCY_KEY', 'idempotency');
    };
    expect((await rejectedBy(WriteConflict, () => loadBankFormat(stores, 'ICBC', input, 'finance-client', seal, NOW))).reason).toBe('IDEMPOTENCY_KEY');
  });
});
