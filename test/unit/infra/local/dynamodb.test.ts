import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, createServer } from 'node:net';
import { networkInterfaces } from 'node:os';
import { JavaRuntimeError, launchDynamoDbLocal, loopbackLauncher, parseJavaMajorVersion, PortTakenError, requireJava, startDynamoDbLocal } from '../../../../infra/local/dynamodb.ts';
import { findFreePort } from '../../../../infra/local/free-port.ts';
import { REPOSITORY_ROOT } from '../../../../infra/local/issuer.ts';

describe('the Java check', () => {
  it('reads the major version of every `java -version` style', () => {
    expect(parseJavaMajorVersion('openjdk version "17.0.15" 2025-04-15\nOpenJDK Runtime Environment')).toBe(17);
    expect(parseJavaMajorVersion('openjdk version "21" 2023-09-19')).toBe(21);
    expect(parseJavaMajorVersion('java version "1.8.0_401"')).toBe(8);
    expect(parseJavaMajorVersion('openjdk version "22-ea" 2024-03-19')).toBe(22);
    expect(parseJavaMajorVersion('command not found')).toBeUndefined();
  });

  describe('with an old or missing Java', () => {
    let bin: string;
    const saved = { PATH: process.env.PATH, JAVA_HOME: process.env.JAVA_HOME };

    beforeAll(() => {
      bin = mkdtempSync(join(tmpdir(), 'colend-java-'));
      writeFileSync(join(bin, 'java'), '#!/bin/sh\necho \'openjdk version "11.0.22" 2024-01-16\' >&2\n');
      chmodSync(join(bin, 'java'), 0o755);
    });
    afterAll(() => {
      process.env.PATH = saved.PATH;
      if (saved.JAVA_HOME === undefined) delete process.env.JAVA_HOME;
      else process.env.JAVA_HOME = saved.JAVA_HOME;
      rmSync(bin, { recursive: true, force: true });
    });

    it('says what to install', () => {
      delete process.env.JAVA_HOME;
      process.env.PATH = `${bin}:${saved.PATH}`;
      expect(() => requireJava()).toThrow(JavaRuntimeError);
      expect(() => requireJava()).toThrow(/Java 17 or newer runtime; java is Java 11[\s\S]*sudo apt-get install -y openjdk-17-jre-headless/);
      process.env.PATH = join(bin, 'nothing-here');
      expect(() => requireJava()).toThrow(/no `java` was found on PATH/);
      process.env.PATH = saved.PATH;
    });

    it('stops npm start before anything else starts, with a non-zero exit', () => {
      const result = spawnSync(join(REPOSITORY_ROOT, 'node_modules', '.bin', 'tsx'), [join(REPOSITORY_ROOT, 'infra', 'local', 'start.ts')], {
        encoding: 'utf8',
        env: { ...process.env, PATH: `${bin}:${saved.PATH}`, JAVA_HOME: '', PORT: '0' },
        timeout: 60_000,
      });
      expect(result.status).toBe(1);
      expect(result.stderr).toMatch(/openjdk-17-jre-headless/);
      expect(result.stdout).not.toMatch(/DynamoDB Local on/);
    });
  });
});

/** How a TCP connection to host:port ends: 'connected', or the error's code. */
function tryConnect(host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: 3_000 });
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve('timeout');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

describe('DynamoDB Local', () => {
  it('listens on the loopback interface only, and answers no web page of another origin', async () => {
    const java = requireJava().command;
    expect((await loopbackLauncher(java)).kind).toBe('loopback');
    const db = await startDynamoDbLocal({ javaCommand: java });
    try {
      expect(db.endpoint).toBe(`http://127.0.0.1:${db.port}`);
      expect(await tryConnect('127.0.0.1', db.port)).toBe('connected');
      const others = Object.values(networkInterfaces())
        .flat()
        .filter((address) => address !== undefined && !address.internal && address.family === 'IPv4')
        .map((address) => address!.address);
      for (const address of others) expect([address, await tryConnect(address, db.port)]).toEqual([address, 'ECONNREFUSED']);
      const preflight = await fetch(db.endpoint, { method: 'OPTIONS', headers: { origin: 'https://pages.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'x-amz-target' } });
      await preflight.arrayBuffer();
      expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
    } finally {
      await db.stop();
    }
  }, 180_000);

  it('is launched on a port chosen before its JVM starts, whose endpoint is known before it answers', async () => {
    const port = await findFreePort();
    const launch = await launchDynamoDbLocal({ port });
    try {
      expect(launch.endpoint).toBe(`http://127.0.0.1:${port}`);
      const db = await launch.ready;
      expect(db.endpoint).toBe(launch.endpoint);
      expect(await tryConnect('127.0.0.1', port)).toBe('connected');
    } finally {
      await launch.stop();
    }
    expect(await tryConnect('127.0.0.1', port)).toBe('ECONNREFUSED');
  }, 180_000);

  it('says which port another program holds, when the port chosen is taken for good', async () => {
    // Another program's server on the port, which hangs up on whoever connects.
    const holder = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const address = holder.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    try {
      const launch = await launchDynamoDbLocal({ port });
      await expect(launch.ready).rejects.toThrow(PortTakenError);
      await expect(launch.ready).rejects.toThrow(`DynamoDB Local could not listen on http://127.0.0.1:${port}: another program holds the port`);
      await launch.stop();
    } finally {
      await new Promise((resolve) => holder.close(resolve));
    }
  }, 240_000);
});
