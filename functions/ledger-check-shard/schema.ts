import { z } from 'zod';

/** Input of the VerifyShard task: one shard of the loans, by number. */
export const verifyShardInput = z.object({ shard: z.number().int().min(0).max(255) }).loose();
