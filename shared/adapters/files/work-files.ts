import { StringDecoder } from 'node:string_decoder';
import { invariant } from '../../domain/errors.ts';
import type { FileLayout, FileRow, RowTotals } from './settlement-files.ts';
import { TextWriter, type FileSink } from './text-writer.ts';

/**
 * The settlement's work files (docs/settlement.md, Work files): what a gather leaves for the
 * files of one lender, one row a line, in the order of the lender's file (by loan), so that
 * WriteFiles merges the shards' files as they are read instead of holding any of them. A line is
 * JSON: `["LN-1",["2025-03-03","PARTNER-A",...]]`, the loan and the row's fields; what the rows
 * add up to (their count and the totals of their amount columns) is kept by the gather as it
 * writes them, in the shard's index.
 */

/** Where the settlement keeps its work files in the file store (`settlement-work/{date}/…`). */
export const SETTLEMENT_WORK_PREFIX = 'settlement-work';

/** A row of a lender's file as a gather leaves it: the loan it is of (the order of the file) and the row's fields. */
export interface WorkRow {
  readonly loanId: string;
  readonly fields: readonly string[];
}

/** A work file being written: rows must come in loan order, which the merge of the shards relies on. */
export class WorkFileWriter {
  private readonly text: TextWriter;
  private lastLoanId = '';
  private rows = 0;
  private readonly totals: bigint[];

  constructor(
    private readonly path: string,
    layout: FileLayout,
    sink: FileSink,
  ) {
    this.text = new TextWriter(sink);
    this.totals = layout.amountColumns.map(() => 0n);
  }

  async write(loanId: string, row: FileRow): Promise<void> {
    invariant(loanId >= this.lastLoanId, "a work file's rows come in loan order", { path: this.path, loanId, after: this.lastLoanId });
    this.lastLoanId = loanId;
    this.rows += 1;
    for (let i = 0; i < this.totals.length; i++) this.totals[i]! += row.amounts[i] ?? 0n;
    await this.text.write(`${JSON.stringify([loanId, row.fields])}\n`);
  }

  /** Ends the file; what its rows add up to. */
  async end(): Promise<RowTotals> {
    await this.text.end();
    return { rows: this.rows, totals: [...this.totals] };
  }

  async abort(error: Error): Promise<void> {
    await this.text.abort(error);
  }
}

/** The rows of a work file as its bytes are read, a chunk's rows at a time. */
export async function* workRows(body: AsyncIterable<Uint8Array>): AsyncGenerator<WorkRow[]> {
  const decoder = new StringDecoder('utf8');
  const rowOf = (line: string): WorkRow => {
    const [loanId, fields] = JSON.parse(line) as [string, string[]];
    return { loanId, fields };
  };
  let rest = '';
  for await (const chunk of body) {
    const lines = (rest + decoder.write(chunk as Buffer)).split('\n');
    rest = lines.pop() ?? '';
    const rows = lines.filter((line) => line !== '').map(rowOf);
    if (rows.length > 0) yield rows;
  }
  rest += decoder.end();
  if (rest !== '') yield [rowOf(rest)];
}

/** How many items a merge hands on at a time. */
const MERGED_BATCH = 512;

/**
 * The items of several sources, each already in order of `key` and read a batch at a time, as
 * one sequence in that order, in batches; equal keys keep the order of the sources. Holds a batch
 * of each source; stops with a named invariant when a source is out of order.
 */
export async function* mergeSorted<T>(sources: readonly AsyncIterable<readonly T[]>[], key: (item: T) => string): AsyncGenerator<T[]> {
  const iterators = sources.map((source) => source[Symbol.asyncIterator]());
  const batches: (readonly T[] | null)[] = iterators.map(() => null);
  const at = iterators.map(() => 0);
  const keys = iterators.map(() => '');
  /** The source's next non-empty batch, or null once it is done. */
  const refill = async (i: number): Promise<void> => {
    for (;;) {
      const next = await iterators[i]!.next();
      if (next.done === true) {
        batches[i] = null;
        return;
      }
      if (next.value.length > 0) {
        batches[i] = next.value;
        at[i] = 0;
        return;
      }
    }
  };
  try {
    await Promise.all(iterators.map((_, i) => refill(i)));
    batches.forEach((batch, i) => {
      if (batch !== null) keys[i] = key(batch[0]!);
    });
    let out: T[] = [];
    for (;;) {
      let next = -1;
      for (let i = 0; i < batches.length; i++) {
        if (batches[i] !== null && (next < 0 || keys[i]! < keys[next]!)) next = i;
      }
      if (next < 0) break;
      out.push(batches[next]![at[next]!]!);
      at[next]! += 1;
      if (at[next] === batches[next]!.length) await refill(next);
      const batch = batches[next];
      if (batch !== null && batch !== undefined) {
        const following = key(batch[at[next]!]!);
        invariant(following >= keys[next]!, 'the sources of a merge come in order', { after: keys[next]!, next: following });
        keys[next] = following;
      }
      if (out.length >= MERGED_BATCH) {
        yield out;
        out = [];
      }
    }
    if (out.length > 0) yield out;
  } finally {
    await Promise.all(iterators.map((it) => it.return?.()));
  }
}
