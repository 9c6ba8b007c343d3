import { createHmac } from 'node:crypto';
import { PutEventsCommand, type EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { Lender } from '../domain/lender.ts';
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

/** `X-Colend-Signature: sha256=<hex>` over `<timestamp>.<body>`, so a replayed body with a new time fails. */
export function webhookSignature(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

export interface WebhookOptions {
  readonly attempts: number;
  readonly firstDelayMs: number;
  readonly timeoutMs: number;
  readonly now: () => string;
  readonly log: (message: string, detail: Record<string, unknown>) => void;
}

/**
 * Every review request goes to the event bus (the record partners can always rely on) and, for a
 * lender with a webhook, is posted to it signed with HMAC-SHA256, retried with exponential
 * backoff. A webhook that keeps failing is logged, not fatal: the partner can still list what
 * awaits its decision.
 */
export class EventBridgeNotifier implements PartnerNotifier {
  constructor(
    private readonly events: EventBridgeClient,
    private readonly busName: string,
    private readonly options: WebhookOptions,
  ) {}

  async reviewRequested(lender: Lender, request: ReviewRequested): Promise<void> {
    const body = toJson({ type: REVIEW_REQUESTED, ...request });
    await putEvent(this.events, this.busName, REVIEW_REQUESTED, body);
    if (lender.webhook) await this.post(lender.webhook, body, request);
  }

  private async post(webhook: { url: string; secret: string }, body: string, request: ReviewRequested): Promise<void> {
    for (let attempt = 1; attempt <= this.options.attempts; attempt++) {
      const timestamp = this.options.now();
      try {
        const response = await fetch(webhook.url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'x-colend-timestamp': timestamp,
            'x-colend-signature': webhookSignature(webhook.secret, timestamp, body),
            'x-colend-delivery': `${request.applicationId}:${request.lenderId}:${request.round}`,
          },
          body,
          signal: AbortSignal.timeout(this.options.timeoutMs),
        });
        if (response.ok) return;
        this.options.log('webhook answered with an error', { url: webhook.url, status: response.status, attempt });
      } catch (error) {
        this.options.log('webhook unreachable', { url: webhook.url, attempt, error: (error as Error).message });
      }
      if (attempt < this.options.attempts) await new Promise((r) => setTimeout(r, this.options.firstDelayMs * 2 ** (attempt - 1)));
    }
  }
}
