import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** The AWS JSON protocol as the local endpoints speak it (1.0 for Step Functions, 1.1 for EventBridge). */
export type AwsJsonVersion = '1.0' | '1.1';

const MAX_REQUEST_BYTES = 1_048_576;

export function sendAwsJson(response: ServerResponse, version: AwsJsonVersion, status: number, body: unknown, errorType?: string): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': `application/x-amz-json-${version}`,
    'content-length': Buffer.byteLength(text),
    'x-amzn-requestid': randomUUID(),
    ...(errorType ? { 'x-amzn-errortype': errorType } : {}),
  });
  response.end(text);
}

export function sendAwsError(response: ServerResponse, version: AwsJsonVersion, status: number, code: string, message: string): void {
  sendAwsJson(response, version, status, { __type: code, message }, code);
}

/** The request body as text, or undefined when it is larger than an endpoint accepts. */
export async function readAwsBody(request: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_REQUEST_BYTES) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}
