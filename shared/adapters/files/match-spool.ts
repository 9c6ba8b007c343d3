import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { once } from 'node:events';
import type { BreakFinding, MatchRecord } from '../../domain/reconciliation.ts';
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

type Row = [string, string, number, string, string, string | null, string, Record<string, string>, string, Record<string, string>, Record<string, string>];

function toLine(r: MatchRecord): string {
  const amounts: Record<string, string> = {};
  for (const [k, v] of Object.entries(r.amountsMinor)) amounts[k] = v.toString();
  const row: Row = [r.key, r.group, r.line, r.lenderId, r.currency, r.date, r.dateName, amounts, r.totalMinor.toString(), r.figures as Record<string, string>, r.attributes as Record<string, string>];
  return JSON.stringify(row);
}

function fromLine(text: string): MatchRecord {
  const [key, group, line, lenderId, currency, date, dateName, amounts, total, figures, attributes] = JSON.parse(text) as Row;
  const amountsMinor: Record<string, bigint> = {};
  for (const [k, v] of Object.entries(amounts)) amountsMinor[k] = BigInt(v);
  return { key, group, line, lenderId, currency, date, dateName, amountsMinor, totalMinor: BigInt(total), figures, attributes };
}

const minor = (v: bigint | null): string | null => (v === null ? null : v.toString());
const bigintOrNull = (v: string | null): bigint | null => (v === null ? null : BigInt(v));

/** How much of a file is gathered before it is written: writes are few and large, memory stays small. */
const FLUSH_CHARS = 256 * 1024;

/** A file written as lines, gathered in memory up to FLUSH_CHARS at a time. */
class LineFile {
  private readonly stream: WriteStream;
  private pending: string[] = [];
  private size = 0;
  lines = 0;

  constructor(readonly path: string) {
    this.stream = createWriteStream(path, { highWaterMark: 1 << 20 });
  }

  async add(line: string): Promise<void> {
    this.pending.push(line);
    this.size += line.length + 1;
    this.lines++;
    if (this.size >= FLUSH_CHARS) await this.flush();
  }

  private async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    const text = `${this.pending.join('\n')}\n`;
    this.pending = [];
    this.size = 0;
    if (!this.stream.write(text)) await once(this.stream, 'drain');
  }

  async end(): Promise<void> {
    await this.flush();
    await new Promise<void>((resolve, reject) => this.stream.end((error?: Error | null) => (error ? reject(error) : resolve())));
  }

  destroy(): void {
    this.stream.destroy();
  }

  async *read(): AsyncGenerator<string> {
    const lines = createInterface({ input: createReadStream(this.path, { highWaterMark: 1 << 20 }), crlfDelay: Infinity });
    for await (const line of lines) if (line !== '') yield line;
  }
}

/**
 * Both sides of a reconciliation written out by group into partition files of a temporary folder
 * (the function's own disk in AWS), so that matching holds one partition at a time, never a
 * whole file; and the differences found, kept there until the whole file has been read.
 * Removed when closed.
 */
export class DiskMatchSpool implements MatchSpool {
  private readonly files = new Map<string, LineFile>();
  private readonly counts = { OURS: 0, THEIRS: 0 };
  private findings: LineFile | null = null;

  private constructor(
    private readonly dir: string,
    readonly partitions: number,
  ) {}

  static async open(partitions: number): Promise<DiskMatchSpool> {
    return new DiskMatchSpool(await mkdtemp(join(tmpdir(), 'colend-match-')), partitions);
  }

  private file(name: string): LineFile {
    let file = this.files.get(name);
    if (file === undefined) {
      file = new LineFile(join(this.dir, `${name}.jsonl`));
      this.files.set(name, file);
    }
    return file;
  }

  async add(side: SpoolSide, records: readonly MatchRecord[]): Promise<void> {
    this.counts[side] += records.length;
    for (const record of records) await this.file(`${side}-${partitionOf(record.group, this.partitions)}`).add(toLine(record));
  }

  count(side: SpoolSide): number {
    return this.counts[side];
  }

  async seal(): Promise<void> {
    await Promise.all([...this.files.entries()].filter(([name]) => name !== 'findings').map(([, f]) => f.end()));
  }

  async read(side: SpoolSide, partition: number): Promise<MatchRecord[]> {
    const file = this.files.get(`${side}-${partition}`);
    if (file === undefined) return [];
    const records: MatchRecord[] = [];
    for await (const line of file.read()) records.push(fromLine(line));
    return records;
  }

  async keep(f: BreakFinding): Promise<void> {
    this.findings ??= this.file('findings');
    await this.findings.add(JSON.stringify([f.kind, f.component, f.recordKey, f.lenderId, f.currency, minor(f.oursMinor), minor(f.theirsMinor), f.ours, f.theirs, f.lines]));
  }

  async *kept(): AsyncGenerator<BreakFinding> {
    if (this.findings === null) return;
    await this.findings.end();
    for await (const line of this.findings.read()) {
      const [kind, component, recordKey, lenderId, currency, ours, theirs, oursText, theirsText, lines] = JSON.parse(line) as [
        BreakFinding['kind'],
        string,
        string,
        string,
        string,
        string | null,
        string | null,
        string | null,
        string | null,
        number[],
      ];
      yield { kind, component, recordKey, lenderId, currency, oursMinor: bigintOrNull(ours), theirsMinor: bigintOrNull(theirs), ours: oursText, theirs: theirsText, lines };
    }
  }

  async close(): Promise<void> {
    for (const file of this.files.values()) file.destroy();
    await rm(this.dir, { recursive: true, force: true });
  }
}
