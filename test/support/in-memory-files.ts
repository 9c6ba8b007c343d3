import type { FileStore } from '../../shared/ports/stores.ts';

/**
 * Files held in memory, with the folder store's semantics: a file appears whole when written, or
 * not at all when its stream fails; `list` answers the paths under a prefix, sorted.
 */
export class InMemoryFileStore implements FileStore {
  readonly files = new Map<string, Uint8Array>();

  async put(path: string, body: Uint8Array): Promise<void> {
    this.files.set(path, Uint8Array.from(body));
  }

  async get(path: string): Promise<Uint8Array | null> {
    const body = this.files.get(path);
    return body === undefined ? null : Uint8Array.from(body);
  }

  async list(prefix: string): Promise<string[]> {
    return [...this.files.keys()].filter((p) => p.startsWith(prefix)).sort();
  }

  async putStream(path: string, body: AsyncIterable<Uint8Array>): Promise<void> {
    const chunks: Uint8Array[] = [];
    for await (const chunk of body) chunks.push(Uint8Array.from(chunk));
    this.files.set(path, Buffer.concat(chunks));
  }

  async getStream(path: string): Promise<AsyncIterable<Uint8Array> | null> {
    const body = this.files.get(path);
    if (body === undefined) return null;
    const copy = Uint8Array.from(body);
    return (async function* () {
      yield copy;
    })();
  }
}
