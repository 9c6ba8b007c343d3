import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { LOOPBACK } from './free-port.ts';

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

export interface AwsJsonEndpoint {
  readonly endpoint: string;
  readonly server: Server;
  close(): Promise<void>;
}

/** Serves an AWS JSON handler on a loopback port (0 = any free port); a crash answers 500 with `internalCode`. */
export async function serveAwsJson(
  handle: (request: IncomingMessage, response: ServerResponse) => Promise<void>,
  settings: { version: AwsJsonVersion; internalCode: string; label: string; port?: number; log?: (line: string) => void },
): Promise<AwsJsonEndpoint> {
  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      settings.log?.(`${settings.label} endpoint error: ${String(error)}`);
      if (!response.headersSent) sendAwsError(response, settings.version, 500, settings.internalCode, 'Internal error');
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(settings.port ?? 0, LOOPBACK, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    endpoint: `http://${LOOPBACK}:${port}`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
