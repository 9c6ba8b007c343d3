import { Readable } from 'node:stream';
import iconv from 'iconv-lite';
import { beforeAll, describe, expect, it } from 'vitest';
import { readCounterpartFile } from '../../shared/adapters/files/counterpart-reader.ts';
import type { BankFormatVersion, EscrowStatementLine } from '../../shared/domain/counterpart-records.ts';
import { api } from './support/stack.ts';
import { createWorld, uniqueKey, type World } from './support/world.ts';

/**
 * A bank's statement mapping kept as configuration, on the local stack: loaded through the API,
 * versioned, read back and used to read the bank's GBK statement into records.
 */
let w: World;
beforeAll(async () => {
  w = await createWorld();
});

const MAPPING = {
  name: '某银行 对公账户明细 (GBK, 借贷标志)',
  encoding: 'GBK',
  format: { kind: 'CSV', delimiter: ',' },
  headerRow: 2,
  columns: { bankReference: '流水号', valueDate: '交易日期', memo: '用途', counterpartyName: '对方户名' },
  amount: { kind: 'DIRECTION', column: '发生额', direction: '借贷标志', credit: ['贷'], debit: ['借'] },
  currency: { fixed: 'CNY' },
  dateFormats: ['YYYYMMDD'],
  memoPatterns: { instructionId: 'SI-\\d{8}-[A-Za-z0-9_.:-]+' },
  endMarkers: ['合计'],
};

describe('bank formats', () => {
  it('loads a mapping as versions, replays the key, refuses a bad one and other callers, and reads the bank statement with the latest', async () => {
    const bankId = `IT-${w.suffix}`;
    const path = `/v1/bank-formats/${bankId}`;
    const put = (token: string, body: unknown, key = uniqueKey('bank-format')) => api<Record<string, unknown>>(path, { method: 'PUT', token, body, headers: { 'idempotency-key': key } });

    expect((await api(path, { token: w.tokens.lead })).status).toBe(404);
    const key = uniqueKey('bank-format');
    const first = await put(w.tokens.finance, { ...MAPPING, headerRow: 1 }, key);
    expect(first.status, first.text).toBe(201);
    expect(first.json).toMatchObject({ bankId, version: 1 });
    const replay = await put(w.tokens.finance, { ...MAPPING, headerRow: 1 }, key);
    expect([replay.status, replay.headers.get('idempotent-replayed'), replay.text]).toEqual([201, 'true', first.text]);
    const second = await put(w.tokens.lead, MAPPING);
    expect([second.status, second.json.version]).toEqual([201, 2]);

    const bad = await put(w.tokens.finance, { ...MAPPING, dateFormats: ['DD/MM/YYYY'] });
    expect([bad.status, bad.json.code, bad.json.details]).toMatchObject([400, 'VALIDATION_FAILED', { path: 'dateFormats.0', rule: 'date-format' }]);
    expect((await put(w.tokens.financeA, MAPPING)).status).toBe(403);
    expect((await put(w.tokens.bankA, MAPPING)).status).toBe(403);

    const latest = await api<BankFormatVersion>(path, { token: w.tokens.financeA });
    expect([latest.status, latest.json.version, latest.json.mapping.headerRow]).toEqual([200, 2, 2]);
    const v1 = await api<BankFormatVersion>(`${path}?version=1`, { token: w.tokens.lead });
    expect([v1.status, v1.json.mapping.headerRow]).toEqual([200, 1]);
    const list = await api<{ bankFormats: BankFormatVersion[] }>('/v1/bank-formats', { token: w.tokens.lead });
    expect(list.json.bankFormats.filter((f) => f.bankId === bankId || f.bankId === 'GENERIC-CN').map((f) => [f.bankId, f.version])).toEqual([
      ['GENERIC-CN', 0],
      [bankId, 2],
    ]);

    const statement = iconv.encode(
      ['账户明细 2026-03-02', '交易日期,流水号,发生额,借贷标志,对方户名,用途', '20260302,B-1,1234.56,贷,张三,还款', '20260302,B-2,700.00,借,合作银行A,结算 SI-20260302-P1-LEAD-BANK-A', '合计,,1934.56,,,'].join('\r\n'),
      'gbk',
    );
    const lines: EscrowStatementLine[] = [];
    for await (const line of readCounterpartFile(Readable.from([statement]), { type: 'ESCROW_STATEMENT', mapping: latest.json.mapping })) lines.push(line);
    expect(lines).toEqual([
      { line: 3, bankReference: 'B-1', valueDate: '2026-03-02', direction: 'CREDIT', amountMinor: 123456n, currency: 'CNY', counterpartyName: '张三', memo: '还款' },
      { line: 4, bankReference: 'B-2', valueDate: '2026-03-02', direction: 'DEBIT', amountMinor: 70000n, currency: 'CNY', counterpartyName: '合作银行A', memo: '结算 SI-20260302-P1-LEAD-BANK-A', instructionId: 'SI-20260302-P1-LEAD-BANK-A' },
    ]);
  });
});
