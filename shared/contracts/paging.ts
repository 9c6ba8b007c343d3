import { z } from 'zod';

/**
 * The paging of every list route (docs/access-patterns.md, Listings): `limit` items at most (a
 * default and a maximum per route; above the maximum is a 400 naming `limit`), and `cursor`, the
 * opaque text the previous page answered, absent for the first page. A page is one bounded read.
 */
export const DEFAULT_PAGE_LIMIT = 50;
export const MAX_PAGE_LIMIT = 100;

export const cursorParam = z
  .string()
  .min(1)
  .max(2048)
  .regex(/^[A-Za-z0-9_-]+$/, 'a cursor from a previous page, unchanged')
  .describe("the previous page's cursor; absent for the first page");

export function pageParams(defaultLimit: number = DEFAULT_PAGE_LIMIT, maxLimit: number = MAX_PAGE_LIMIT) {
  return {
    limit: z.coerce.number().int().min(1).max(maxLimit).default(defaultLimit).describe(`items a page, 1-${maxLimit}, ${defaultLimit} by default`),
    cursor: cursorParam.optional(),
  };
}

/** `?limit=&cursor=` alone. */
export const pageQuery = z.strictObject(pageParams());
export type PageQuery = z.output<typeof pageQuery>;
