import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { once } from 'node:events';
import type { MatchRecord } from '../../domain/reconciliation.ts';
import type { MatchSpool, SpoolSide } from '../../ports/stores.ts';

/** FNV-1a of a group: the same group always lands in the same partition. */
export function partitionOf(group: string, partitions: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < group.length; i++) {
    hash ^= group.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % partitions;
}

type Row = [string, string, number, string, string, string | null, Record<string, string>, string, Record<string, string>];

function toLine(r: MatchRecord): string {
  const amounts: Record<string, string> = {};
  for (const [k, v] of Object.entries(r.amountsMinor)) amounts[k] = v.toString();
  const row: Row = [r.key, r.group, r.line, r.lenderId, r.currency, r.date, amounts, r.totalMinor.toString(), r.attributes as Record<string, string>];
  return `${JSON.stringify(row)}\n`;
}

function fromLine(text: string): MatchRecord {
  const [key, group, line, lenderId, currency, date, amounts, total, attributes] = JSON.parse(text) as Row;
  const amountsMinor: Record<string, bigint> = {};
  for (const [k, v] of Object.entries(amounts)) amountsMinor[k] = BigInt(v);
  return { key, group, line, lenderId, currency, date, amountsMinor, totalMinor: BigInt(total), attributes };
}

/**
 * Both sides of a reconciliation written out by group into partition files of a temporary folder
 * (the function's own disk in AWS), so that matching holds one partition at a time, never a
 * whole file. Removed when closed.
 */
export class DiskMatchSpool implements MatchSpool {
  private readonly streams = new Map<string, WriteStream>();
  private counts = { OURS: 0, THEIRS: 0 };

  private constructor(
    private readonly dir: string,
    readonly partitions: number,
  ) {}

  static async open(partitions: number): Promise<DiskMatchSpool> {
    return new DiskMatchSpool(await mkdtemp(join(tmpdir(), 'colend-match-')), partitions);
  }

  private path(side: SpoolSide, partition: number): string {
    return join(this.dir, `${side}-${partition}.jsonl`);
  }

  async add(side: SpoolSide, record: MatchRecord): Promise<void> {
    const partition = partitionOf(record.group, this.partitions);
    const name = `${side}-${partition}`;
    let stream = this.streams.get(name);
    if (stream === undefined) {
      stream = createWriteStream(this.path(side, partition), { highWaterMark: 1 << 16 });
      this.streams.set(name, stream);
    }
    this.counts[side]++;
    if (!stream.write(toLine(record))) await once(stream, 'drain');
  }

  count(side: SpoolSide): number {
    return this.counts[side];
  }

  async seal(): Promise<void> {
    await Promise.all([...this.streams.values()].map((s) => new Promise<void>((resolve, reject) => s.end((error?: Error | null) => (error ? reject(error) : resolve())))));
  }

  async read(side: SpoolSide, partition: number): Promise<MatchRecord[]> {
    if (!this.streams.has(`${side}-${partition}`)) return [];
    const records: MatchRecord[] = [];
    const lines = createInterface({ input: createReadStream(this.path(side, partition), { highWaterMark: 1 << 20 }), crlfDelay: Infinity });
    for await (const line of lines) if (line !== '') records.push(fromLine(line));
    return records;
  }

  async close(): Promise<void> {
    for (const stream of this.streams.values()) stream.destroy();
    await rm(this.dir, { recursive: true, force: true });
  }
}
