import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { mockClient } from 'aws-sdk-client-mock';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  NoSuchKey,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FolderFileStore, S3FileStore, S3_PART_BYTES, folderStoreRequests, removeLeftPartialFiles } from '../../../../../shared/adapters/files/file-store.ts';

async function* chunks(...parts: string[]): AsyncGenerator<Uint8Array> {
  for (const part of parts) yield Buffer.from(part, 'utf8');
}

async function* failingAfter(part: string): AsyncGenerator<Uint8Array> {
  yield Buffer.from(part, 'utf8');
  throw new Error('the source broke');
}

async function text(body: AsyncIterable<Uint8Array> | null): Promise<string | null> {
  if (body === null) return null;
  const read: Uint8Array[] = [];
  for await (const chunk of body) read.push(chunk);
  return Buffer.concat(read).toString('utf8');
}

describe('files in a folder', () => {
  let dir: string;
  let store: FolderFileStore;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'file-store-'));
    store = new FolderFileStore(dir);
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('writes a file from a stream and reads it back as one, whole', async () => {
    await store.putStream('settlement-work/2025-03-03/loans-00.jsonl', chunks('["LN-1"]\n', '["LN-2"]\n'));
    expect(await text(await store.getStream('settlement-work/2025-03-03/loans-00.jsonl'))).toBe('["LN-1"]\n["LN-2"]\n');
    expect(Buffer.from((await store.get('settlement-work/2025-03-03/loans-00.jsonl'))!).toString('utf8')).toBe('["LN-1"]\n["LN-2"]\n');
    expect(await store.list('settlement-work/')).toEqual(['settlement-work/2025-03-03/loans-00.jsonl']);
  });

  it('takes two writes of the same file at once (a step delivered twice): one wins whole, no partial file is left', async () => {
    const path = 'settlement-work/2025-03-03/manifest.json';
    await Promise.all([store.put(path, Buffer.from('[{"shard":0}]')), store.put(path, Buffer.from('[{"shard":0}]'))]);
    expect(Buffer.from((await store.get(path))!).toString('utf8')).toBe('[{"shard":0}]');
    expect(await store.list('settlement-work/')).toEqual([path]);
  });

  it('reads no stream of a file that is not there', async () => {
    expect(await store.getStream('statements/LENDER-A/20250303/control_20250303.txt')).toBeNull();
  });

  it('leaves neither the file nor a partial one when the stream fails, and keeps what was there before', async () => {
    await store.put('statements/A/20250303/x.txt', Buffer.from('before'));
    await expect(store.putStream('statements/A/20250303/x.txt', failingAfter('half'))).rejects.toThrow('the source broke');
    expect(await readdir(join(dir, 'statements/A/20250303'))).toEqual(['x.txt']);
    expect(await text(await store.getStream('statements/A/20250303/x.txt'))).toBe('before');
  });

  it('removes the partial files a killed write left before the given instant, and nothing else', async () => {
    const before = new Date('2026-12-01T02:00:00Z');
    await mkdir(join(dir, 'statements/A/20261201'), { recursive: true });
    await store.put('statements/A/20261201/x.txt', Buffer.from('whole'));
    const left = join(dir, 'statements/A/20261201/x.txt.0b7c.partial');
    const leftAtRoot = join(dir, 'manifest.json.9f1e.partial');
    const since = join(dir, 'statements/A/20261201/y.txt.77aa.partial');
    for (const path of [left, leftAtRoot, since]) await writeFile(path, 'half');
    const old = new Date('2026-12-01T01:59:59Z');
    await utimes(left, old, old);
    await utimes(leftAtRoot, old, old);
    await utimes(join(dir, 'statements/A/20261201/x.txt'), old, old);
    expect(await removeLeftPartialFiles(dir, before)).toBe(2);
    expect((await readdir(join(dir, 'statements/A/20261201'))).sort()).toEqual(['x.txt', 'y.txt.77aa.partial']);
    expect(await readdir(dir)).toEqual(['statements']);
    expect(await removeLeftPartialFiles(join(dir, 'nothing-here'), before)).toBe(0);
  });

  it('counts the S3 requests it stands in for: a put, a get, a listing per 1,000 keys, and a multipart upload of a file of parts', async () => {
    const before = { ...folderStoreRequests };
    const counted = () => ({ putClass: folderStoreRequests.putClass - before.putClass, get: folderStoreRequests.get - before.get });
    await store.put('statements/A/20250303/x.txt', Buffer.from('x'));
    await store.putStream('statements/A/20250303/y.txt', chunks('small'));
    expect(counted()).toEqual({ putClass: 2, get: 0 });
    await store.get('statements/A/20250303/x.txt');
    await store.getStream('statements/A/20250303/y.txt');
    await store.get('statements/A/20250303/none.txt');
    expect(counted()).toEqual({ putClass: 2, get: 3 });
    await store.list('statements/');
    expect(counted()).toEqual({ putClass: 3, get: 3 });
    // Two parts and a half: a create, three parts and a completion.
    const part = Buffer.alloc(S3_PART_BYTES, 120);
    await store.putStream('statements/A/20250303/z.txt', (async function* () {
      yield part;
      yield part;
      yield part.subarray(0, S3_PART_BYTES / 2);
    })());
    expect(counted()).toEqual({ putClass: 8, get: 3 });
  });

  it('refuses a path outside the store', async () => {
    await expect(store.putStream('../escape.txt', chunks('x'))).rejects.toThrow('not a file path of the store: ../escape.txt');
    await expect(store.getStream('statements/../../x')).rejects.toThrow(RangeError);
  });
});

describe('files in S3', () => {
  const s3 = mockClient(S3Client);
  const BUCKET = 'colend-files';
  afterEach(() => s3.reset());

  it('sends a file smaller than a part in one PutObject of its exact bytes', async () => {
    s3.on(PutObjectCommand).resolves({});
    await new S3FileStore(new S3Client({ region: 'cn-north-1' }), BUCKET, 16).putStream('statements/A/20250303/x.txt', chunks('abc', 'defg'));
    expect(s3.commandCalls(CreateMultipartUploadCommand)).toHaveLength(0);
    const put = s3.commandCalls(PutObjectCommand)[0]!.args[0].input;
    expect({ ...put, Body: Buffer.from(put.Body as Uint8Array).toString('utf8') }).toEqual({ Bucket: BUCKET, Key: 'statements/A/20250303/x.txt', Body: 'abcdefg' });
  });

  it('sends a larger file in parts of at least the part size, each with its CRC32, then completes the upload with every part', async () => {
    s3.on(CreateMultipartUploadCommand).resolves({ UploadId: 'U-1' });
    s3.on(UploadPartCommand).callsFake((input: { PartNumber: number }) => ({ ETag: `"e${input.PartNumber}"`, ChecksumCRC32: `c${input.PartNumber}` }));
    s3.on(CompleteMultipartUploadCommand).resolves({});
    await new S3FileStore(new S3Client({ region: 'cn-north-1' }), BUCKET, 8).putStream('w/loans-00.jsonl', chunks('12345', '6789', 'abcdefgh', 'xy'));
    expect(s3.commandCalls(CreateMultipartUploadCommand)[0]!.args[0].input).toEqual({ Bucket: BUCKET, Key: 'w/loans-00.jsonl', ChecksumAlgorithm: 'CRC32' });
    expect(s3.commandCalls(UploadPartCommand).map((c) => [c.args[0].input.PartNumber, Buffer.from(c.args[0].input.Body as Uint8Array).toString('utf8'), c.args[0].input.UploadId, c.args[0].input.ChecksumAlgorithm])).toEqual([
      [1, '123456789', 'U-1', 'CRC32'],
      [2, 'abcdefgh', 'U-1', 'CRC32'],
      [3, 'xy', 'U-1', 'CRC32'],
    ]);
    expect(s3.commandCalls(CompleteMultipartUploadCommand)[0]!.args[0].input).toEqual({
      Bucket: BUCKET,
      Key: 'w/loans-00.jsonl',
      UploadId: 'U-1',
      MultipartUpload: {
        Parts: [
          { PartNumber: 1, ETag: '"e1"', ChecksumCRC32: 'c1' },
          { PartNumber: 2, ETag: '"e2"', ChecksumCRC32: 'c2' },
          { PartNumber: 3, ETag: '"e3"', ChecksumCRC32: 'c3' },
        ],
      },
    });
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(0);
  });

  it('aborts the upload when the stream fails after a part was sent, and completes nothing', async () => {
    s3.on(CreateMultipartUploadCommand).resolves({ UploadId: 'U-2' });
    s3.on(UploadPartCommand).resolves({ ETag: '"e1"' });
    s3.on(AbortMultipartUploadCommand).resolves({});
    await expect(new S3FileStore(new S3Client({ region: 'cn-north-1' }), BUCKET, 4).putStream('w/x', failingAfter('123456'))).rejects.toThrow('the source broke');
    expect(s3.commandCalls(AbortMultipartUploadCommand)[0]!.args[0].input).toEqual({ Bucket: BUCKET, Key: 'w/x', UploadId: 'U-2' });
    expect(s3.commandCalls(CompleteMultipartUploadCommand)).toHaveLength(0);
  });

  it('reads an object as a stream, and none of a key that is not there', async () => {
    s3.on(GetObjectCommand, { Key: 'w/a' }).resolves({ Body: Readable.from([Buffer.from('line 1\n'), Buffer.from('line 2\n')]) as never }); // a Node stream, as the SDK gives in Node
    s3.on(GetObjectCommand, { Key: 'w/b' }).rejects(new NoSuchKey({ message: 'no such key', $metadata: {} }));
    const store = new S3FileStore(new S3Client({ region: 'cn-north-1' }), BUCKET);
    expect(await text(await store.getStream('w/a'))).toBe('line 1\nline 2\n');
    expect(await store.getStream('w/b')).toBeNull();
  });
});
