import { afterEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import {
  CreateSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceExistsException,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { NotFound, StateConflict } from '../../../../../shared/domain/errors.ts';
import { SecretsManagerWebhookSecrets, versionToken, WEBHOOK_SECRET_CACHE_TTL_MS } from '../../../../../shared/adapters/webhook-secrets/secrets-manager.ts';
import { rejectedBy } from '../../../../support/expect-error.ts';

const sm = mockClient(SecretsManagerClient);
const PREFIX = 'colend/test/webhook/';
const A = 'whsec-a-0123456789abcdef0123456789abcdef';
const B = 'whsec-b-0123456789abcdef0123456789abcdef';
const T1 = '2025-03-01T00:00:00.000Z';
const T2 = '2025-03-02T12:00:00.000Z';
const FIRST = { current: { version: 1, secret: A, since: T1 }, previous: null };
const notFound = () => new ResourceNotFoundException({ message: "Secrets Manager can't find the specified secret.", $metadata: {} });

function store(clock = { ms: 0 }) {
  return new SecretsManagerWebhookSecrets(new SecretsManagerClient({ region: 'cn-north-1' }), { namePrefix: PREFIX, nowMs: () => clock.ms });
}

afterEach(() => sm.reset());

describe('SecretsManagerWebhookSecrets', () => {
  it("names one secret per lender under the stage's prefix, a ':' of the id written '+'", () => {
    expect(store().secretName('PARTNER-A')).toBe('colend/test/webhook/PARTNER-A');
    expect(store().secretName('bank:cn:01')).toBe('colend/test/webhook/bank+cn+01');
    expect(versionToken('colend/test/webhook/PARTNER-A', 1)).toMatch(/^[0-9a-f]{64}$/);
    expect(versionToken('colend/test/webhook/PARTNER-A', 2)).not.toBe(versionToken('colend/test/webhook/PARTNER-A', 1));
  });

  it("creates a registering lender's secret: one CreateSecret with the set as JSON and the version's request token", async () => {
    sm.on(GetSecretValueCommand).rejects(notFound());
    sm.on(CreateSecretCommand).resolves({});
    await expect(store().put('PARTNER-A', A, T1)).resolves.toEqual(FIRST);
    expect(sm.commandCalls(GetSecretValueCommand).map((c) => c.args[0].input)).toEqual([{ SecretId: 'colend/test/webhook/PARTNER-A' }]);
    expect(sm.commandCalls(CreateSecretCommand).map((c) => c.args[0].input)).toEqual([
      {
        Name: 'colend/test/webhook/PARTNER-A',
        Description: 'Webhook signing secrets of lender PARTNER-A',
        SecretString: JSON.stringify(FIRST),
        ClientRequestToken: versionToken('colend/test/webhook/PARTNER-A', 1),
      },
    ]);
    expect(sm.commandCalls(PutSecretValueCommand)).toEqual([]);
  });

  it('writes nothing when the same secret is registered again', async () => {
    sm.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify(FIRST) });
    await expect(store().put('PARTNER-A', A, T2)).resolves.toEqual(FIRST);
    expect([sm.commandCalls(CreateSecretCommand).length, sm.commandCalls(PutSecretValueCommand).length]).toEqual([0, 0]);
  });

  it('rotates with one PutSecretValue: version 2 in force, version 1 kept as the previous one', async () => {
    sm.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify(FIRST) });
    sm.on(PutSecretValueCommand).resolves({});
    const next = { current: { version: 2, secret: B, since: T2 }, previous: { version: 1, secret: A, replacedAt: T2 } };
    await expect(store().rotate('PARTNER-A', B, T2)).resolves.toEqual(next);
    expect(sm.commandCalls(PutSecretValueCommand).map((c) => c.args[0].input)).toEqual([
      { SecretId: 'colend/test/webhook/PARTNER-A', SecretString: JSON.stringify(next), ClientRequestToken: versionToken('colend/test/webhook/PARTNER-A', 2) },
    ]);
  });

  it('refuses to rotate a secret that does not exist, writing nothing', async () => {
    sm.on(GetSecretValueCommand).rejects(notFound());
    const error = await rejectedBy(NotFound, () => store().rotate('PARTNER-A', B, T2));
    expect(error.details).toEqual({ webhookSecretId: 'PARTNER-A' });
    expect(sm.commandCalls(PutSecretValueCommand)).toEqual([]);
  });

  it('loses to another writer of the same version with a named conflict', async () => {
    sm.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify(FIRST) });
    sm.on(PutSecretValueCommand).rejects(new ResourceExistsException({ message: 'A resource with the ID you requested already exists.', $metadata: {} }));
    const error = await rejectedBy(StateConflict, () => store().rotate('PARTNER-A', B, T2));
    expect([error.code, error.details]).toEqual(['WEBHOOK_SECRET_CHANGED', { lenderId: 'PARTNER-A', version: 2 }]);
  });

  it('lets another error of Secrets Manager through', async () => {
    const throttled = new Error('Rate exceeded');
    sm.on(GetSecretValueCommand).rejects(throttled);
    await expect(store().get('PARTNER-A')).rejects.toBe(throttled);
  });

  it('refuses a stored value that is not a set, naming the secret', async () => {
    sm.on(GetSecretValueCommand).resolves({ SecretString: '{"secret":"plain"}' });
    await expect(store().get('PARTNER-A')).rejects.toThrow('colend/test/webhook/PARTNER-A does not hold a webhook secret set ({current, previous})');
  });

  it('reads a secret once per minute per warm function, so a rotation elsewhere is in force within a minute', async () => {
    const clock = { ms: 0 };
    const secrets = store(clock);
    sm.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify(FIRST) });
    await secrets.get('PARTNER-A');
    clock.ms = WEBHOOK_SECRET_CACHE_TTL_MS - 1;
    await secrets.get('PARTNER-A');
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(1);
    const rotatedSet = { current: { version: 2, secret: B, since: T2 }, previous: { version: 1, secret: A, replacedAt: T2 } };
    sm.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify(rotatedSet) });
    clock.ms = WEBHOOK_SECRET_CACHE_TTL_MS;
    await expect(secrets.get('PARTNER-A')).resolves.toEqual(rotatedSet);
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(2);
    expect(WEBHOOK_SECRET_CACHE_TTL_MS).toBe(60_000);
  });
});
