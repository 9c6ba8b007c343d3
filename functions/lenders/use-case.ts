import { canSeeLender, restrictedTo, type Principal } from '../../shared/domain/access.ts';
import { lenderView, validateLender, type Lender } from '../../shared/domain/lender.ts';
import { NotFound, RuleViolation } from '../../shared/domain/errors.ts';
import { overlapEndsAt } from '../../shared/domain/webhook-secret.ts';
import { WriteConflict, type LenderStore, type PageRequest, type Seal } from '../../shared/ports/stores.ts';
import type { WebhookSecrets } from '../../shared/ports/webhook-secrets.ts';
import type { CreateLenderRequest, RotateWebhookSecretRequest } from '../../shared/contracts/schemas.ts';
import { moveWebhookSecret } from '../../shared/use-cases/webhook-secrets.ts';
import type { PersonalDataCipher } from '../../shared/ports/personal-data.ts';
import { maskAccountNumber, personalDataVisibility } from '../../shared/domain/personal-data.ts';
import { openAccountNumber, sealAccountNumber } from '../../shared/use-cases/personal-data.ts';

export interface LenderDeps {
  readonly lenders: LenderStore;
  readonly webhookSecrets: WebhookSecrets;
  readonly personalData: PersonalDataCipher;
}

/** A lender as the API shows it. */
export type LenderView = ReturnType<typeof lenderView>;

/**
 * Registers a lender. Its webhook secret goes to the secret store first, and the record names only
 * the version: a lender that is already registered is refused before anything is stored, so a
 * second registration never replaces the secret of the first.
 */
export async function createLender(deps: LenderDeps, input: CreateLenderRequest, seal: Seal, now: string): Promise<void> {
  const { webhook, ...rest } = input;
  const draft = validateLender({ ...rest, webhook: webhook === null ? null : { url: webhook.url, secretVersion: 1 }, createdAt: now });
  if ((await deps.lenders.get(draft.lenderId)) !== null) throw new WriteConflict('ALREADY_EXISTS', 'lender');
  const { accountNumber } = input.settlementAccount;
  const sealed: Lender = { ...draft, settlementAccount: { ...draft.settlementAccount, accountNumber: await sealAccountNumber(deps.personalData, draft.lenderId, accountNumber) } };
  const lender: Lender =
    webhook === null ? sealed : { ...sealed, webhook: { url: webhook.url, secretVersion: (await deps.webhookSecrets.put(draft.lenderId, webhook.secret, now)).current.version } };
  // The answer is kept in the idempotency record, so it shows the account number masked.
  await deps.lenders.create(lender, seal(201, lenderView(lender, maskAccountNumber(accountNumber))));
}

/** What a rotation answers: the version now signing, and until when the replaced one signs beside it. */
export interface WebhookSecretRotation {
  readonly lenderId: string;
  readonly secretVersion: number;
  readonly previousVersion: number | null;
  readonly previousSignsUntil: string | null;
}

/**
 * Rotates a lender's webhook secret (docs/webhooks.md, Rotation): the new secret signs from now,
 * the replaced one beside it for the overlap window. The secret store is written first and the
 * record then names the new version; a repeat after a failure in between finds the new secret
 * already in force and only completes the record. A record that still held a plain secret is moved
 * by its first rotation: the rotation starts from that secret, and the record keeps none.
 */
export async function rotateWebhookSecret(deps: LenderDeps, principal: Principal, lenderId: string, input: RotateWebhookSecretRequest, seal: Seal, now: string): Promise<void> {
  const lender = canSeeLender(principal, lenderId) ? await deps.lenders.get(lenderId) : null;
  if (lender === null) throw new NotFound('lender', lenderId);
  if (lender.webhook === null) throw new RuleViolation('LENDER_HAS_NO_WEBHOOK', `lender ${lenderId} has no webhook whose secret could be rotated`, { path: 'lenderId', lenderId });
  let recorded = lender.webhook.secretVersion;
  if (recorded === 0) {
    const plain = await deps.lenders.plainWebhookSecret(lenderId);
    if (plain !== null) recorded = await moveWebhookSecret(deps, plain, now);
  }
  const set = await deps.webhookSecrets.rotate(lenderId, input.secret, now);
  const answer: WebhookSecretRotation = { lenderId, secretVersion: set.current.version, previousVersion: set.previous?.version ?? null, previousSignsUntil: overlapEndsAt(set) };
  await deps.lenders.setWebhook(lenderId, recorded, { url: lender.webhook.url, secretVersion: set.current.version }, seal(200, answer));
}

/** A page of the lenders in id order; a lender's callers see their own lender alone, on one page. */
export async function listLenders(deps: Pick<LenderDeps, 'lenders' | 'personalData'>, principal: Principal, page: PageRequest): Promise<{ lenders: LenderView[]; cursor: string | null }> {
  const only = restrictedTo(principal);
  const show = (lender: Lender) => shownLender(deps, principal, lender);
  if (only !== null) return { lenders: await Promise.all([await deps.lenders.get(only)].filter((l): l is Lender => l !== null).map(show)), cursor: null };
  const found = await deps.lenders.page(page);
  return { lenders: await Promise.all(found.items.map(show)), cursor: found.cursor };
}

/** Another lender's record answers 404, exactly as a lender that does not exist. */
export async function getLender(deps: Pick<LenderDeps, 'lenders' | 'personalData'>, principal: Principal, lenderId: string): Promise<LenderView> {
  const lender = canSeeLender(principal, lenderId) ? await deps.lenders.get(lenderId) : null;
  if (!lender) throw new NotFound('lender', lenderId);
  return shownLender(deps, principal, lender);
}

/** A lender with its settlement account number in clear to lead operations and its own callers, masked to others (docs/personal-data.md). */
async function shownLender(deps: Pick<LenderDeps, 'personalData'>, principal: Principal, lender: Lender): Promise<LenderView> {
  const accountNumber = await openAccountNumber(deps.personalData, lender);
  const visibility = personalDataVisibility(principal, { kind: 'LENDER', lenderId: lender.lenderId });
  return lenderView(lender, visibility === 'CLEAR' ? accountNumber : maskAccountNumber(accountNumber));
}
