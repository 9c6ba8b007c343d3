import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, open, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  NoSuchKey,
  PutObjectCommand,
  UploadPartCommand,
  type CompletedPart,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { FileStore } from '../../ports/stores.ts';

/** A path of the store: segments of letters, digits, `_ . -`, joined by `/`; no `..`. */
function checkPath(path: string): string {
  if (!/^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/.test(path) || path.split('/').some((s) => s === '..' || s === '.')) {
    throw new RangeError(`not a file path of the store: ${path}`);
  }
  return path;
}

/**
 * Removes the partial files a process killed in the middle of a write left in a folder store:
 * only those last written before `before` (the start of the process that calls it), so a write
 * begun since, under a partial name of its own, is never touched. Nothing lists or reads a partial
 * file; removing them keeps the folder what a bucket would hold. Answers how many it removed.
 */
export async function removeLeftPartialFiles(root: string, before: Date): Promise<number> {
  let removed = 0;
  const walk = async (dir: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    for (const entry of entries) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (entry.name.endsWith('.partial')) {
        const info = await stat(full).catch(() => null);
        if (info !== null && info.mtime < before) {
          await rm(full, { force: true });
          removed += 1;
        }
      }
    }
  };
  await walk(resolve(root));
  return removed;
}

/**
 * The S3 requests the folder stores of this process stand in for, counted as the S3 store would
 * send them (a streamed file of a part or more is a multipart upload: its create, each part and its
 * completion; a listing is a request per 1,000 keys): what the bench reports a run costs in S3.
 */
export const folderStoreRequests = { putClass: 0, get: 0 };

/** Files in a folder (the local stack's stand-in for the bucket); a file appears whole or not at all. */
export class FolderFileStore implements FileStore {
  private readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
  }

  async put(path: string, body: Uint8Array): Promise<void> {
    const target = join(this.root, checkPath(path));
    await mkdir(dirname(target), { recursive: true });
    // A partial file of its own: two writers of the same file (a step delivered twice) never share one.
    const partial = `${target}.${randomUUID()}.partial`;
    await writeFile(partial, body);
    await rename(partial, target);
    folderStoreRequests.putClass += 1;
  }

  async get(path: string): Promise<Uint8Array | null> {
    folderStoreRequests.get += 1;
    try {
      return await readFile(join(this.root, checkPath(path)));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
  }

  /** Written to a partial file of its own, renamed when whole; a failed write leaves nothing. */
  async putStream(path: string, body: AsyncIterable<Uint8Array>): Promise<void> {
    const target = join(this.root, checkPath(path));
    await mkdir(dirname(target), { recursive: true });
    const partial = `${target}.${randomUUID()}.partial`;
    const out = createWriteStream(partial);
    let bytes = 0;
    const counted = async function* () {
      for await (const chunk of body) {
        bytes += chunk.byteLength;
        yield chunk;
      }
    };
    try {
      await pipeline(counted, out);
    } catch (error) {
      // A source that fails at once can fail before the file is even opened: remove it once the
      // stream has closed, or the open that was still pending would create it after the removal.
      if (!out.closed) await new Promise<void>((closed) => out.once('close', () => closed()));
      await rm(partial, { force: true });
      throw error;
    }
    await rename(partial, target);
    folderStoreRequests.putClass += bytes < S3_PART_BYTES ? 1 : Math.ceil(bytes / S3_PART_BYTES) + 2;
  }

  async getStream(path: string): Promise<AsyncIterable<Uint8Array> | null> {
    folderStoreRequests.get += 1;
    try {
      const handle = await open(join(this.root, checkPath(path)), 'r');
      return handle.createReadStream();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
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
    const listed = found.filter((p) => p.startsWith(prefix)).sort();
    folderStoreRequests.putClass += Math.max(1, Math.ceil(listed.length / 1000));
    return listed;
  }
}

/**
 * How many bytes a streamed file is sent in at a time: one PutObject when the whole file is
 * smaller, parts of a multipart upload otherwise (S3 takes parts of at least 5 MiB but the last).
 */
export const S3_PART_BYTES = 8 * 2 ** 20;

/** Files in an S3 bucket (versioned, with object lock on settled dates; see the CDK stack). */
export class S3FileStore implements FileStore {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
    private readonly partBytes: number = S3_PART_BYTES,
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

  /**
   * Holds at most a part in memory: a file smaller than a part is one PutObject; a larger one a
   * multipart upload (each part with its CRC32, as object lock asks), aborted when anything fails.
   */
  async putStream(path: string, body: AsyncIterable<Uint8Array>): Promise<void> {
    const key = checkPath(path);
    let pending: Uint8Array[] = [];
    let pendingBytes = 0;
    let uploadId: string | undefined;
    const parts: CompletedPart[] = [];
    const sendPart = async (): Promise<void> => {
      uploadId ??= (await this.s3.send(new CreateMultipartUploadCommand({ Bucket: this.bucket, Key: key, ChecksumAlgorithm: 'CRC32' }))).UploadId;
      const PartNumber = parts.length + 1;
      const out = await this.s3.send(new UploadPartCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId, PartNumber, Body: Buffer.concat(pending), ChecksumAlgorithm: 'CRC32' }));
      parts.push({ PartNumber, ETag: out.ETag, ChecksumCRC32: out.ChecksumCRC32 });
      pending = [];
      pendingBytes = 0;
    };
    try {
      for await (const chunk of body) {
        pending.push(chunk);
        pendingBytes += chunk.byteLength;
        if (pendingBytes >= this.partBytes) await sendPart();
      }
      if (uploadId === undefined) {
        await this.s3.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: Buffer.concat(pending) }));
        return;
      }
      if (pendingBytes > 0) await sendPart();
      await this.s3.send(new CompleteMultipartUploadCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId, MultipartUpload: { Parts: parts } }));
    } catch (error) {
      if (uploadId !== undefined) {
        await this.s3.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId })).catch((aborting: unknown) => {
          throw new AggregateError([error, aborting], `writing ${key} failed, and so did aborting its upload ${uploadId}`);
        });
      }
      throw error;
    }
  }

  async getStream(path: string): Promise<AsyncIterable<Uint8Array> | null> {
    try {
      const out = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: checkPath(path) }));
      if (out.Body === undefined) return Readable.from([]);
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
