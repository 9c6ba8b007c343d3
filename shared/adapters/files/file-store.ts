import { createReadStream } from 'node:fs';
import { mkdir, readFile, readdir, rename, stat, writeFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, NoSuchKey, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { FileStore } from '../../ports/stores.ts';

/** A path of the store: segments of letters, digits, `_ . -`, joined by `/`; no `..`. */
function checkPath(path: string): string {
  if (!/^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/.test(path) || path.split('/').some((s) => s === '..' || s === '.')) {
    throw new RangeError(`not a file path of the store: ${path}`);
  }
  return path;
}

/** Files in a folder (the local stack's stand-in for the bucket); a file appears whole or not at all. */
export class FolderFileStore implements FileStore {
  private readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
  }

  async put(path: string, body: Uint8Array): Promise<void> {
    const target = join(this.root, checkPath(path));
    await mkdir(dirname(target), { recursive: true });
    const partial = `${target}.partial`;
    await writeFile(partial, body);
    await rename(partial, target);
  }

  async get(path: string): Promise<Uint8Array | null> {
    try {
      return await readFile(join(this.root, checkPath(path)));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
  }

  async openRead(path: string): Promise<Readable | null> {
    const target = join(this.root, checkPath(path));
    try {
      await stat(target);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
    return createReadStream(target, { highWaterMark: 1 << 20 });
  }

  async list(prefix: string): Promise<string[]> {
    const base = join(this.root, ...prefix.split('/').filter((s) => s !== ''));
    const found: string[] = [];
    const walk = async (dir: string): Promise<void> => {
      let names: string[];
      try {
        names = await readdir(dir);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
        throw error;
      }
      for (const name of names) {
        const full = join(dir, name);
        if (name.endsWith('.partial')) continue;
        const isDir = await readdir(full).then(
          () => true,
          () => false,
        );
        if (isDir) await walk(full);
        else found.push(relative(this.root, full).split(sep).join('/'));
      }
    };
    await walk(base);
    return found.filter((p) => p.startsWith(prefix)).sort();
  }
}

/** Files in an S3 bucket (versioned, with object lock on settled dates; see the CDK stack). */
export class S3FileStore implements FileStore {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
  ) {}

  async put(path: string, body: Uint8Array): Promise<void> {
    await this.s3.send(new PutObjectCommand({ Bucket: this.bucket, Key: checkPath(path), Body: body }));
  }

  async get(path: string): Promise<Uint8Array | null> {
    try {
      const out = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: checkPath(path) }));
      return out.Body ? await out.Body.transformToByteArray() : new Uint8Array();
    } catch (error) {
      if (error instanceof NoSuchKey) return null;
      throw error;
    }
  }

  async openRead(path: string): Promise<Readable | null> {
    try {
      const out = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: checkPath(path) }));
      if (!out.Body) return Readable.from([]);
      return out.Body instanceof Readable ? out.Body : Readable.fromWeb(out.Body.transformToWebStream() as Parameters<typeof Readable.fromWeb>[0]);
    } catch (error) {
      if (error instanceof NoSuchKey) return null;
      throw error;
    }
  }

  async list(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const out = await this.s3.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: token }));
      for (const object of out.Contents ?? []) if (object.Key) keys.push(object.Key);
      token = out.NextContinuationToken;
    } while (token);
    return keys.sort();
  }
}
