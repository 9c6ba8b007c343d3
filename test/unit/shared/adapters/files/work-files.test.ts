import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { COMPENSATION, REPAYMENT_DETAIL } from '../../../../../shared/adapters/files/settlement-files.ts';
import { mergeSorted, WorkFileWriter, workRows, type WorkRow } from '../../../../../shared/adapters/files/work-files.ts';
import { DomainError } from '../../../../../shared/domain/errors.ts';
import { rejectedBy } from '../../../../support/expect-error.ts';

async function* inBatches<T>(items: readonly T[], size: number): AsyncGenerator<T[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
}

async function* each<T>(items: readonly T[]): AsyncGenerator<T> {
  yield* items;
}

async function all<T>(batches: AsyncIterable<T[]>): Promise<T[]> {
  const items: T[] = [];
  for await (const batch of batches) items.push(...batch);
  return items;
}

describe('a work file', () => {
  it('reads back the rows written, whatever chunks its bytes come in (a character split across two), and adds up their count and totals', async () => {
    const bytes: Uint8Array[] = [];
    const file = new WorkFileWriter('settlement-work/2025-03-04/shard-03/compensation/PARTNER-A.jsonl', COMPENSATION, async (body) => {
      for await (const chunk of body) bytes.push(chunk);
    });
    const rows = [
      { loanId: 'LN-1', fields: ['2025-03-04', 'PARTNER-A', 'LN-1', '担保 "代偿"|x\ny'], amounts: [267_500n, 500n, 0n, 268_000n] },
      { loanId: 'LN-1', fields: ['2025-03-04', 'PARTNER-A', 'LN-1', ''], amounts: [-100n, 0n, 0n, -100n] },
      { loanId: 'LN-2', fields: ['2025-03-04', 'PARTNER-A', 'LN-2', '中'], amounts: [1n, 2n, 3n, 6n] },
    ];
    for (const { loanId, fields, amounts } of rows) await file.write(loanId, { fields, amounts });
    expect(await file.end()).toEqual({ rows: 3, totals: [267_401n, 502n, 3n, 267_906n] });
    const whole = Buffer.concat(bytes);
    const expected: WorkRow[] = rows.map(({ loanId, fields }) => ({ loanId, fields }));
    for (const size of [1, 2, 3, 7, whole.length]) {
      const chunks = Array.from({ length: Math.ceil(whole.length / size) }, (_, i) => whole.subarray(i * size, (i + 1) * size));
      expect(await all(workRows(each(chunks)))).toEqual(expected);
    }
  });

  it('refuses a row of a loan before the last one written: the merge of the shards needs loan order', async () => {
    const file = new WorkFileWriter('w/x.jsonl', REPAYMENT_DETAIL, async (body) => {
      for await (const _ of body);
    });
    await file.write('LN-2', { fields: ['a'], amounts: [] });
    const error = await rejectedBy(DomainError, () => file.write('LN-10', { fields: ['b'], amounts: [] }));
    expect(error.code).toBe('INVARIANT_VIOLATED');
    expect(error.details).toEqual({ path: 'w/x.jsonl', loanId: 'LN-10', after: 'LN-2' });
    await file.abort(error);
  });
});

describe('merging sorted sources', () => {
  it('gives every item once, in key order, equal keys in the order of the sources, whatever the batches', async () => {
    const source = fc.array(fc.record({ key: fc.constantFrom('A', 'B', 'C', 'D', 'E'), tag: fc.nat(99) }), { maxLength: 30 }).map((items) => [...items].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)));
    await fc.assert(
      fc.asyncProperty(fc.array(source, { maxLength: 6 }), fc.integer({ min: 1, max: 5 }), async (sources, size) => {
        const tagged = sources.map((items, s) => items.map((item) => ({ ...item, source: s })));
        const merged = await all(mergeSorted(tagged.map((items) => inBatches(items, size)), (item) => item.key));
        const expected = tagged.flat().sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.source - b.source));
        expect(merged).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });

  it('stops with a named invariant when a source is out of order', async () => {
    const error = await rejectedBy(DomainError, () => all(mergeSorted([inBatches(['LN-1', 'LN-3', 'LN-2'], 2), inBatches(['LN-0'], 1)], (id) => id)));
    expect(error.code).toBe('INVARIANT_VIOLATED');
    expect(error.details).toEqual({ after: 'LN-3', next: 'LN-2' });
  });
});
