import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { PassThrough } from 'node:stream';

/** Where a streamed file goes: the file store's `putStream` of its path. */
export type FileSink = (body: AsyncIterable<Uint8Array>) => Promise<void>;

/** How much text is gathered before it is handed to the file store as one chunk. */
const CHUNK_CHARS = 64 * 1024;

/**
 * Text written to a file of the store as it comes, in chunks of about 64 KiB, its SHA-256
 * computed on the way. Waits while the store is behind, so it holds a chunk or two, whatever the
 * size of the file; stops with the store's error when the store fails.
 */
export class TextWriter {
  private readonly out = new PassThrough();
  private readonly hash = createHash('sha256');
  private readonly stored: Promise<void>;
  private pending: string[] = [];
  private pendingChars = 0;

  /** `start`: text the file begins with (a byte order mark). */
  constructor(sink: FileSink, start = '') {
    if (start !== '') {
      this.pending.push(start);
      this.pendingChars = start.length;
    }
    this.stored = sink(this.out);
    // Awaited by `end` and by every wait for the store; a failure must not go unhandled before.
    this.stored.catch(() => undefined);
  }

  async write(text: string): Promise<void> {
    this.pending.push(text);
    this.pendingChars += text.length;
    if (this.pendingChars >= CHUNK_CHARS) await this.flush();
  }

  private async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    const bytes = Buffer.from(this.pending.join(''), 'utf8');
    this.pending = [];
    this.pendingChars = 0;
    this.hash.update(bytes);
    if (!this.out.write(bytes)) await Promise.race([once(this.out, 'drain'), this.stored]);
  }

  /** Ends the file and waits until it is stored whole; the SHA-256 of its bytes. */
  async end(): Promise<string> {
    await this.flush();
    this.out.end();
    await this.stored;
    return this.hash.digest('hex');
  }

  /** Stops the file: the store fails with the error and keeps nothing of it. */
  async abort(error: Error): Promise<void> {
    this.out.destroy(error);
    await this.stored.catch(() => undefined);
  }
}
