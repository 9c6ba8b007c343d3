import { z } from 'zod';

/** Input of the AskPartner callback task: one partner of one round, and the token to resume. */
export const askPartnerInput = z
  .object({ applicationId: z.string().min(1), lenderId: z.string().min(1), round: z.number().int().min(1), taskToken: z.string().min(1) })
  .loose();
