import { createHash } from 'node:crypto';
import { CreateSecretCommand, GetSecretValueCommand, PutSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { NotFound, StateConflict } from '../../domain/errors.ts';
import { registered, rotated, type WebhookSecretSet } from '../../domain/webhook-secret.ts';
import type { WebhookSecrets } from '../../ports/webhook-secrets.ts';
import { parseSecretSet } from './secret-set-codec.ts';

/** How long a warm function reuses a secret it read: far shorter than the overlap, so a rotation is soon in force. */
export const WEBHOOK_SECRET_CACHE_TTL_MS = 60_000;

export interface SecretsManagerWebhookSecretsOptions {
  /** `colend/<stage>/webhook/`: the stage's secrets, the only ones its functions are granted. */
  readonly namePrefix: string;
  readonly cacheTtlMs?: number;
  readonly nowMs?: () => number;
}

/**
 * One secret per lender, named `<prefix><lenderId>` (a `:` of the id written `+`, which ids never
 * hold, since secret names take no `:`). Its value is the lender's set as JSON: the secret in force
 * and the replaced one still signing. Each version of the set is a version of the secret whose
 * request token is derived from the lender and the version number, so two writers of the same
 * version cannot both succeed: the second is refused, and nothing is lost.
 */
export class SecretsManagerWebhookSecrets implements WebhookSecrets {
  private readonly cache = new Map<string, { readonly set: WebhookSecretSet; readonly atMs: number }>();
  private readonly cacheTtlMs: number;
  private readonly nowMs: () => number;

  constructor(
    private readonly client: SecretsManagerClient,
    private readonly options: SecretsManagerWebhookSecretsOptions,
  ) {
    this.cacheTtlMs = options.cacheTtlMs ?? WEBHOOK_SECRET_CACHE_TTL_MS;
    this.nowMs = options.nowMs ?? Date.now;
  }

  secretName(lenderId: string): string {
    return `${this.options.namePrefix}${lenderId.replaceAll(':', '+')}`;
  }

  async get(lenderId: string): Promise<WebhookSecretSet | null> {
    const cached = this.cache.get(lenderId);
    if (cached !== undefined && this.nowMs() - cached.atMs < this.cacheTtlMs) return cached.set;
    const set = await this.read(lenderId);
    if (set !== null) this.cache.set(lenderId, { set, atMs: this.nowMs() });
    return set;
  }

  async put(lenderId: string, secret: string, now: string): Promise<WebhookSecretSet> {
    const stored = await this.read(lenderId);
    return this.write(lenderId, stored, registered(stored, secret, now));
  }

  async rotate(lenderId: string, secret: string, now: string): Promise<WebhookSecretSet> {
    const stored = await this.read(lenderId);
    if (stored === null) throw new NotFound('webhookSecret', lenderId);
    return this.write(lenderId, stored, rotated(stored, secret, now));
  }

  private async read(lenderId: string): Promise<WebhookSecretSet | null> {
    try {
      const out = await this.client.send(new GetSecretValueCommand({ SecretId: this.secretName(lenderId) }));
      return parseSecretSet(out.SecretString ?? '', this.secretName(lenderId));
    } catch (error) {
      if ((error as Error).name === 'ResourceNotFoundException') return null;
      throw error;
    }
  }

  private async write(lenderId: string, stored: WebhookSecretSet | null, next: WebhookSecretSet): Promise<WebhookSecretSet> {
    if (next === stored) return next;
    const name = this.secretName(lenderId);
    const value = { SecretString: JSON.stringify(next), ClientRequestToken: versionToken(name, next.current.version) };
    try {
      if (stored === null) {
        await this.client.send(new CreateSecretCommand({ Name: name, Description: `Webhook signing secrets of lender ${lenderId}`, ...value }));
      } else {
        await this.client.send(new PutSecretValueCommand({ SecretId: name, ...value }));
      }
    } catch (error) {
      if ((error as Error).name === 'ResourceExistsException') {
        throw new StateConflict('WEBHOOK_SECRET_CHANGED', `the webhook secret of lender ${lenderId} was changed meanwhile; read it again and retry`, { lenderId, version: next.current.version });
      }
      throw error;
    }
    this.cache.set(lenderId, { set: next, atMs: this.nowMs() });
    return next;
  }
}

/** The request token of a version of a lender's secret: 64 hex digits, the same for the same lender and version. */
export function versionToken(secretName: string, version: number): string {
  return createHash('sha256').update(`${secretName}#v${version}`).digest('hex');
}
