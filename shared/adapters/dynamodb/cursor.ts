import { ValidationError } from '../../domain/errors.ts';

/**
 * The one cursor of every listing: the last key a page read (DynamoDB's LastEvaluatedKey), as
 * base64url JSON. A cursor comes back from a client, so it is checked before it reaches a query:
 * the text, the JSON, exactly the key attributes of the listing's table or index, every value a
 * string, and the partition the listing reads. Anything else is a 400 naming `cursor`, never a
 * query started elsewhere or a 500 (docs/access-patterns.md, Listings).
 */
export type LastKey = Readonly<Record<string, string>>;

/** What a listing's cursor must hold: its key attributes, and the values some of them must have. */
export interface CursorShape {
  /** The table's or index's key attributes: `['pk', 'sk']`, or `['pk', 'sk', 'gsi1pk', 'gsi1sk']` for gsi1. */
  readonly attributes: readonly string[];
  /** Attributes whose value is fixed by the query (the partition read), or checked by a rule. */
  readonly where?: Readonly<Record<string, string | ((value: string) => boolean)>>;
}

export const TABLE_KEY = ['pk', 'sk'] as const;
export const GSI1_KEY = ['pk', 'sk', 'gsi1pk', 'gsi1sk'] as const;

const MAX_CURSOR_LENGTH = 2048;
const BASE64URL = /^[A-Za-z0-9_-]+$/;

export function encodeCursor(lastKey: Readonly<Record<string, unknown>> | undefined): string | null {
  if (lastKey === undefined) return null;
  return Buffer.from(JSON.stringify(lastKey), 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string | undefined, shape: CursorShape): LastKey | undefined {
  if (cursor === undefined) return undefined;
  const refuse = (why: string): never => {
    throw new ValidationError(`cursor is not one this listing gave: ${why}; pass the cursor of the previous page unchanged, or none for the first page`, { path: 'cursor', rule: 'cursor' });
  };
  if (cursor.length === 0 || cursor.length > MAX_CURSOR_LENGTH || !BASE64URL.test(cursor)) refuse(`not base64url text of at most ${MAX_CURSOR_LENGTH} characters`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    refuse('not an encoded key');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return refuse('not an encoded key');
  const key = parsed as Record<string, unknown>;
  const names = Object.keys(key).sort();
  if (names.join(',') !== [...shape.attributes].sort().join(',')) refuse('not a key of this listing');
  for (const name of names) if (typeof key[name] !== 'string' || (key[name] as string).length > 1024) refuse('not a key of this listing');
  for (const [name, rule] of Object.entries(shape.where ?? {})) {
    const value = key[name] as string;
    if (typeof rule === 'string' ? value !== rule : !rule(value)) refuse('a key of another listing');
  }
  return key as LastKey;
}
