import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { NotFound } from '../../../../../shared/domain/errors.ts';
import { LocalFileWebhookSecrets, webhookSecretsFromEnv, SecretsManagerWebhookSecrets } from '../../../../../shared/adapters/webhook-secrets/index.ts';
import { rejectedBy } from '../../../../support/expect-error.ts';

const A = 'whsec-a-0123456789abcdef0123456789abcdef';
const B = 'whsec-b-0123456789abcdef0123456789abcdef';
const T1 = '2025-03-01T00:00:00.000Z';
const T2 = '2025-03-02T12:00:00.000Z';
const folders: string[] = [];

function aFile(): string {
  const folder = mkdtempSync(join(tmpdir(), 'colend-secrets-'));
  folders.push(folder);
  return join(folder, 'state', 'webhook-secrets.json');
}

afterEach(() => {
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});

describe('LocalFileWebhookSecrets', () => {
  it('keeps every lender in one file readable by its owner only, in a folder of its own', async () => {
    const path = aFile();
    const secrets = new LocalFileWebhookSecrets(path);
    await expect(secrets.get('PARTNER-A')).resolves.toBeNull();
    await secrets.put('PARTNER-A', A, T1);
    await secrets.put('PARTNER-B', B, T1);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(join(path, '..')).mode & 0o777).toBe(0o700);
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual({
      'PARTNER-A': { current: { version: 1, secret: A, since: T1 }, previous: null },
      'PARTNER-B': { current: { version: 1, secret: B, since: T1 }, previous: null },
    });
  });

  it('rotates as Secrets Manager does, and a second store on the same file reads it at once', async () => {
    const path = aFile();
    await new LocalFileWebhookSecrets(path).put('PARTNER-A', A, T1);
    await new LocalFileWebhookSecrets(path).rotate('PARTNER-A', B, T2);
    await expect(new LocalFileWebhookSecrets(path).get('PARTNER-A')).resolves.toEqual({ current: { version: 2, secret: B, since: T2 }, previous: { version: 1, secret: A, replacedAt: T2 } });
    await rejectedBy(NotFound, () => new LocalFileWebhookSecrets(path).rotate('PARTNER-B', B, T2));
  });
});

describe('webhookSecretsFromEnv', () => {
  it("takes the local stack's file when set, else the stage's prefix, and says which variable is missing", () => {
    expect(webhookSecretsFromEnv({ WEBHOOK_SECRETS_FILE: '/tmp/x.json', WEBHOOK_SECRETS_PREFIX: 'colend/dev/webhook/' })).toBeInstanceOf(LocalFileWebhookSecrets);
    expect(webhookSecretsFromEnv({ WEBHOOK_SECRETS_PREFIX: 'colend/dev/webhook/', AWS_REGION: 'cn-north-1' })).toBeInstanceOf(SecretsManagerWebhookSecrets);
    expect(() => webhookSecretsFromEnv({})).toThrow("WEBHOOK_SECRETS_PREFIX is not set: the stack names the stage's webhook secrets");
  });
});
