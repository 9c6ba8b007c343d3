import { z } from 'zod';
import { id } from './schemas.ts';

/**
 * A bank's statement mapping as an operator loads it (docs/files.md, The bank's mapping). The
 * shape is checked here; the rules (known encodings, delimiters and date formats, patterns that
 * compile, columns not shared between debit and credit) are the domain's
 * (`validateBankStatementMapping`), which names the field and the rule broken.
 */
const names = z
  .union([z.string().max(200), z.array(z.string().max(200)).max(10)])
  .describe('the column name in the header, or the names it may have (the first the header holds is read)');
const optionalNames = names.optional();

export const bankFormatRequest = z.strictObject({
  name: z.string().max(200).describe('which bank and which export this is'),
  encoding: z.string().max(10).optional().describe('UTF-8 or GBK; left out, it is told from the bytes'),
  format: z.discriminatedUnion('kind', [
    z.strictObject({ kind: z.literal('CSV'), delimiter: z.string().max(2).optional().describe('",", "|", "\\t" or ";"; "," when left out') }),
    z.strictObject({ kind: z.literal('XLSX'), sheet: z.union([z.string().max(100), z.number().int()]).optional().describe("the sheet's name, or its position from 1; the first when left out") }),
  ]),
  headerRow: z.number().int().optional().describe("the header's line (CSV) or row (XLSX), 1 when left out"),
  columns: z.strictObject({
    bankReference: names,
    valueDate: names,
    counterpartyAccount: optionalNames,
    counterpartyName: optionalNames,
    memo: optionalNames,
    balanceAfter: optionalNames,
    instructionId: optionalNames,
    repaymentId: optionalNames,
  }),
  amount: z.discriminatedUnion('kind', [
    z.strictObject({ kind: z.literal('DEBIT_CREDIT'), debit: names, credit: names }),
    z.strictObject({ kind: z.literal('SIGNED'), column: names, creditIs: z.enum(['POSITIVE', 'NEGATIVE']).optional() }),
    z.strictObject({ kind: z.literal('DIRECTION'), column: names, direction: names, credit: z.array(z.string().max(20)).max(10), debit: z.array(z.string().max(20)).max(10) }),
  ]),
  currency: z.union([
    z.strictObject({ column: names, aliases: z.record(z.string().max(50), z.string().max(10)).optional().describe('what the column may say for a currency (人民币: CNY)') }),
    z.strictObject({ fixed: z.string().max(10) }),
  ]),
  dateFormats: z.array(z.string().max(20)).max(4).optional().describe('YYYY-MM-DD, YYYYMMDD, YYYY/MM/DD, YYYY/M/D; all when left out'),
  thousandsSeparator: z.boolean().optional(),
  memoPatterns: z
    .strictObject({ instructionId: z.string().max(200).optional(), repaymentId: z.string().max(200).optional() })
    .optional()
    .describe('regular expressions finding our ids in the memo: the first capture group, or the whole match'),
  endMarkers: z.array(z.string().max(50)).max(10).optional().describe('a row whose first cell starts with one of these ends the data (合计)'),
});
export type BankFormatRequest = z.output<typeof bankFormatRequest>;

export const bankFormatPath = z.object({ bankId: id });
