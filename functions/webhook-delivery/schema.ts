import { z } from 'zod';

/**
 * An event of the bus as the webhooks rule hands it to its target: the event's detail is the body
 * posted to the partner, and names the lender and the ask.
 */
export const webhookEvent = z.preprocess(
  // The body is the detail as it came, its keys in their order, before parsing reorders them.
  (raw) => (typeof raw === 'object' && raw !== null && 'detail' in raw ? { ...raw, body: JSON.stringify(raw.detail) } : raw),
  z
    .object({
      id: z.string().min(1),
      'detail-type': z.string().min(1),
      detail: z.object({ lenderId: z.string().min(1), applicationId: z.string().min(1), round: z.number().int().min(1) }).loose(),
      body: z.string(),
    })
    .loose(),
);
export type WebhookEvent = z.output<typeof webhookEvent>;
