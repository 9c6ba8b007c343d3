import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { Readable } from 'node:stream';
import { createHash } from 'node:crypto';
import { callApi, type ApiAnswer, type CommandApi } from './api-client.ts';

/**
 * `colend reconcile <file> --type T --date D [--lender L] [--bank-format B]`: uploads a counterpart
 * file (to the URL the API gives: S3 in AWS, the local server locally), starts its reconciliation,
 * waits for the report and prints it: matched, breaks by kind and age, the net difference, the
 * escrow balance check, or why the file was refused.
 */
export interface ReconcileOptions extends CommandApi {
  readonly file: string;
  readonly type: 'ESCROW_STATEMENT' | 'PARTNER_REPAYMENTS' | 'PARTNER_LOANS';
  readonly businessDate: string;
  readonly lenderId?: string;
  readonly bankFormat?: string;
  readonly pollMs?: number;
  readonly timeoutMs?: number;
}

export interface ReconciliationView {
  reconciliationId: string;
  status: string;
  counts: { ours: number; theirs: number; matched: number; matchedOnAmount: number; breaks: number } | null;
  matchedMinor: Record<string, string>;
  breaksByKind: Record<string, number>;
  breaksByAge: Record<string, number>;
  netDifferenceMinor: Record<string, string>;
  balance: { currency: string; statementMinor: string; expectedMinor: string; differenceMinor: string }[];
  errors: { line: number; field: string; rule: string; message: string }[];
  failure: { code: string; message: string } | null;
}

const FINAL = new Set(['REPORTED', 'REJECTED', 'FAILED', 'WAITING']);

async function fileDigest(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Uploads, starts and waits; the keys come from the file's digest, so running it again after a lost answer uploads and starts nothing twice. */
export async function reconcile(options: ReconcileOptions): Promise<{ refused: ApiAnswer | null; view: ReconciliationView | null }> {
  const digest = await fileDigest(options.file);
  const key = `reconcile:${options.type}:${options.businessDate}:${options.lenderId ?? options.bankFormat ?? ''}:${digest.slice(0, 32)}`;
  const upload = await callApi(options, 'POST', '/v1/reconciliation-uploads', { fileName: basename(options.file), sha256: digest }, `${key}:upload`);
  if (upload.status !== 201) return { refused: upload, view: null };
  const { uploadId, url, headers } = upload.body as { uploadId: string; url: string; headers: Record<string, string> };
  const size = (await stat(options.file)).size;
  // The URL takes only these bytes, with the checksum header it signs (the files bucket's object lock requires one).
  const put = await (options.fetch ?? fetch)(url, {
    method: 'PUT',
    headers: { ...headers, 'content-length': String(size) },
    body: Readable.toWeb(createReadStream(options.file)) as ReadableStream,
    duplex: 'half',
  } as RequestInit);
  if (!put.ok) return { refused: { status: put.status, body: { code: `UPLOAD_${put.status}`, message: (await put.text()).slice(0, 500) }, replayed: false }, view: null };
  const started = await callApi(
    options,
    'POST',
    '/v1/reconciliations',
    { uploadId, type: options.type, businessDate: options.businessDate, ...(options.lenderId === undefined ? {} : { lenderId: options.lenderId }), ...(options.bankFormat === undefined ? {} : { bankFormat: options.bankFormat }) },
    `${key}:start`,
  );
  if (started.status !== 202) return { refused: started, view: null };
  const { reconciliationId } = started.body as { reconciliationId: string };
  const deadline = Date.now() + (options.timeoutMs ?? 15 * 60_000);
  for (;;) {
    const read = await callApi(options, 'GET', `/v1/reconciliations/${reconciliationId}`);
    const view = read.status === 200 ? (read.body as unknown as ReconciliationView) : null;
    if ((view !== null && FINAL.has(view.status)) || Date.now() > deadline) return { refused: null, view };
    await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 1000));
  }
}

export function formatReconcile(answer: { refused: ApiAnswer | null; view: ReconciliationView | null }): string[] {
  if (answer.view === null) {
    const { code, message } = (answer.refused?.body ?? {}) as { code?: string; message?: string };
    return [`not reconciled: ${answer.refused?.status ?? 'no answer'} ${code ?? ''} ${message ?? ''}`.trim()];
  }
  const v = answer.view;
  const lines = [`${v.reconciliationId}: ${v.status}${v.failure ? ` (${v.failure.code}: ${v.failure.message})` : ''}`];
  if (v.status === 'REJECTED') return [...lines, ...v.errors.map((e) => `  line ${e.line}, ${e.field}: ${e.message} (${e.rule})`)];
  if (v.status === 'WAITING') return [...lines, '  the date is not settled yet: it is reconciled when the settlement of the date ends'];
  if (v.counts === null) return lines;
  lines.push(`  ours ${v.counts.ours}, theirs ${v.counts.theirs}, matched ${v.counts.matched} (${v.counts.matchedOnAmount} on amount and date), breaks ${v.counts.breaks}`);
  for (const [currency, minor] of Object.entries(v.matchedMinor)) lines.push(`  matched ${currency} ${minor} (minor units)`);
  const kinds = Object.entries(v.breaksByKind).filter(([, n]) => n > 0);
  if (kinds.length > 0) lines.push(`  breaks by kind: ${kinds.map(([k, n]) => `${k} ${n}`).join(', ')}`);
  const ages = Object.entries(v.breaksByAge).filter(([, n]) => n > 0);
  if (ages.length > 0) lines.push(`  breaks by age (days): ${ages.map(([band, n]) => `${band}: ${n}`).join(', ')}`);
  for (const [currency, minor] of Object.entries(v.netDifferenceMinor)) lines.push(`  net difference ${currency} ${minor} (minor units, theirs - ours)`);
  for (const b of v.balance) lines.push(`  escrow balance ${b.currency}: statement ${b.statementMinor}, expected ${b.expectedMinor}, difference ${b.differenceMinor}`);
  return lines;
}
