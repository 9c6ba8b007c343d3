import { createHmac } from 'node:crypto';
import { PutEventsCommand, type EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { Lender } from '../domain/lender.ts';
import type { WebhookKey } from '../domain/webhook-secret.ts';
import type { PartnerNotifier, ReviewRequested } from '../ports/stores.ts';
import { toJson } from '../json.ts';

export const EVENT_SOURCE = 'colend';
export const REVIEW_REQUESTED = 'colend.review.requested';

/** Puts one event of Colend's on the bus; a refused entry is an error. */
export async function putEvent(events: EventBridgeClient, busName: string, detailType: string, detail: string): Promise<void> {
  const out = await events.send(new PutEventsCommand({ Entries: [{ EventBusName: busName, Source: EVENT_SOURCE, DetailType: detailType, Detail: detail }] }));
  if ((out.FailedEntryCount ?? 0) > 0) throw new Error(`the event bus refused ${detailType}: ${out.Entries?.[0]?.ErrorMessage ?? 'unknown'}`);
}

/**
 * Puts events in order, ten to a call (the bus's limit); answers how many were accepted before the
 * first the bus refused (all of them when none was).
 */
export async function putEvents(events: EventBridgeClient, busName: string, batch: readonly { readonly detailType: string; readonly detail: string }[]): Promise<number> {
  for (let start = 0; start < batch.length; start += 10) {
    const chunk = batch.slice(start, start + 10);
    const out = await events.send(new PutEventsCommand({ Entries: chunk.map((e) => ({ EventBusName: busName, Source: EVENT_SOURCE, DetailType: e.detailType, Detail: e.detail })) }));
    if ((out.FailedEntryCount ?? 0) > 0) {
      const refused = (out.Entries ?? []).findIndex((entry) => entry.ErrorCode !== undefined);
      return start + (refused < 0 ? 0 : refused);
    }
  }
  return batch.length;
}

/** The header that carries a webhook's signature (docs/webhooks.md). */
export const SIGNATURE_HEADER = 'colend-signature';
/** The header that names the version of the secret in force, the one the first `v1` is signed with. */
export const KEY_VERSION_HEADER = 'colend-key-version';

/**
 * `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">` with the lender's secret: the time is
 * signed with the body, so a partner refuses a replay older than its tolerance.
 */
export function webhookSignature(secret: string, unixSeconds: number, body: string): string {
  return `t=${unixSeconds},v1=${createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex')}`;
}

/**
 * `t=<unix seconds>,v1=<signature>[,v1=<signature>]`: one `v1` per key, the secret in force first,
 * then, during a rotation's overlap window, the replaced one (docs/webhooks.md, Rotation).
 */
export function webhookSignatures(keys: readonly WebhookKey[], unixSeconds: number, body: string): string {
  if (keys.length === 0) throw new Error('a webhook is signed with at least one key');
  return [`t=${unixSeconds}`, ...keys.map((key) => webhookSignature(key.secret, unixSeconds, body).split(',')[1])].join(',');
}

export interface WebhookOptions {
  readonly timeoutMs: number;
  readonly now: () => string;
  readonly log: (message: string, detail: Record<string, unknown>) => void;
  /** Outside the local stage a webhook is posted only over https. */
  readonly requireHttps: boolean;
}

/** What became of one delivery; a failure that may pass (an error status, no answer) throws, so it is tried again. */
export type WebhookOutcome = 'DELIVERED' | 'NOT_HTTPS' | 'REDIRECTED';

/** A webhook answered with an error or not at all: the delivery is run again by Lambda's retries of the invocation, then kept in WebhookDeadLetters. */
export class WebhookDeliveryFailed extends Error {
  constructor(
    readonly url: string,
    readonly reason: string,
  ) {
    super(`webhook ${url}: ${reason}`);
    this.name = 'WebhookDeliveryFailed';
  }
}

/**
 * Posts a body to a partner's webhook once, signed with HMAC-SHA256 over the time and the body,
 * under each of the keys (the secret in force first).
 * A redirect is never followed, and a webhook that is not https outside the local stage is never
 * called: the signed body goes only to the address the lender registered, and neither case is
 * tried again. An error status or no answer throws WebhookDeliveryFailed.
 */
export async function postWebhook(
  webhook: { readonly url: string; readonly keys: readonly WebhookKey[] },
  body: string,
  deliveryId: string,
  options: WebhookOptions,
): Promise<WebhookOutcome> {
  if (options.requireHttps && !webhook.url.startsWith('https://')) {
    options.log('webhook not called: only https outside the local stage', { url: webhook.url, deliveryId });
    return 'NOT_HTTPS';
  }
  const unixSeconds = Math.floor(Date.parse(options.now()) / 1000);
  let response: Response;
  try {
    response = await fetch(webhook.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        [SIGNATURE_HEADER]: webhookSignatures(webhook.keys, unixSeconds, body),
        [KEY_VERSION_HEADER]: String(webhook.keys[0]?.version),
        'colend-delivery': deliveryId,
      },
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(options.timeoutMs),
    });
  } catch (error) {
    throw new WebhookDeliveryFailed(webhook.url, `unreachable: ${(error as Error).message}`);
  }
  if (response.ok) return 'DELIVERED';
  if (response.status >= 300 && response.status < 400) {
    options.log('webhook answered with a redirect, not followed', { url: webhook.url, status: response.status, deliveryId });
    return 'REDIRECTED';
  }
  throw new WebhookDeliveryFailed(webhook.url, `answered ${response.status}`);
}

/**
 * Every review request goes to the event bus, the record partners can always rely on. The bus's
 * webhooks rule hands each one to `webhook-delivery`, which posts it to the lender's webhook
 * (docs/webhooks.md); a delivery that keeps failing ends in the rule's dead-letter queue, and the
 * partner can still list what awaits its decision.
 */
export class EventBridgeNotifier implements PartnerNotifier {
  constructor(
    private readonly events: EventBridgeClient,
    private readonly busName: string,
  ) {}

  async reviewRequested(_lender: Lender, request: ReviewRequested): Promise<void> {
    await putEvent(this.events, this.busName, REVIEW_REQUESTED, toJson({ type: REVIEW_REQUESTED, ...request }));
  }
}
