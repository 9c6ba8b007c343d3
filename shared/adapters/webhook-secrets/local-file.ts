import { randomUUID } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { NotFound } from '../../domain/errors.ts';
import { registered, rotated, type WebhookSecretSet } from '../../domain/webhook-secret.ts';
import type { WebhookSecrets } from '../../ports/webhook-secrets.ts';
import { parseSecretSet } from './secret-set-codec.ts';

/**
 * The local stack's stand-in for Secrets Manager: one JSON file in its state folder, readable by
 * its owner only (0600, in a 0700 folder), that maps each lender id to its set. Every function of
 * the local stack runs in one process, and each change reads and writes the file synchronously, so
 * no two changes interleave; the file is replaced whole (written aside, then renamed).
 */
export class LocalFileWebhookSecrets implements WebhookSecrets {
  constructor(private readonly path: string) {}

  get(lenderId: string): Promise<WebhookSecretSet | null> {
    return Promise.resolve(this.readAll()[lenderId] ?? null);
  }

  put(lenderId: string, secret: string, now: string): Promise<WebhookSecretSet> {
    return Promise.resolve(this.change(lenderId, (stored) => registered(stored, secret, now)));
  }

  rotate(lenderId: string, secret: string, now: string): Promise<WebhookSecretSet> {
    return Promise.resolve(
      this.change(lenderId, (stored) => {
        if (stored === null) throw new NotFound('webhookSecret', lenderId);
        return rotated(stored, secret, now);
      }),
    );
  }

  private change(lenderId: string, next: (stored: WebhookSecretSet | null) => WebhookSecretSet): WebhookSecretSet {
    const all = this.readAll();
    const stored = all[lenderId] ?? null;
    const set = next(stored);
    if (set !== stored) this.writeAll({ ...all, [lenderId]: set });
    return set;
  }

  private readAll(): Record<string, WebhookSecretSet> {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw error;
    }
    const parsed = JSON.parse(text) as Record<string, unknown>;
    return Object.fromEntries(Object.entries(parsed).map(([lenderId, set]) => [lenderId, parseSecretSet(JSON.stringify(set), `${this.path} (${lenderId})`)]));
  }

  private writeAll(all: Record<string, WebhookSecretSet>): void {
    mkdirSync(dirname(this.path), { recursive: true, mode: 0o700 });
    const aside = `${this.path}.${process.pid}.${randomUUID()}.tmp`;
    writeFileSync(aside, `${JSON.stringify(all, null, 2)}\n`, { mode: 0o600 });
    chmodSync(aside, 0o600);
    renameSync(aside, this.path);
  }
}
