/**
 * Families of partition keys: what a store may touch, declared once, read by the stores' key
 * guard and by the stack, which turns them into each role's `dynamodb:LeadingKeys` condition
 * (docs/architecture.md#permissions, docs/access-patterns.md#key-families).
 */
export type FamilyTable = 'state' | 'ledger';

/** `pk` for the table's items, `gsi1pk` for the entries of its gsi1 index. */
export type FamilyKey = 'pk' | 'gsi1pk';

/**
 * The items of a table (or the entries of its index) whose partition key matches `pattern` as
 * IAM's `StringLike` matches it: `LOAN#*` is every key that starts with `LOAN#`, `LENDERS` is that
 * one key.
 */
export interface KeyFamily {
  readonly table: FamilyTable;
  readonly key: FamilyKey;
  readonly pattern: string;
}

export const tableFamily = (table: FamilyTable, pattern: string): KeyFamily => ({ table, key: 'pk', pattern });
export const indexFamily = (table: FamilyTable, pattern: string): KeyFamily => ({ table, key: 'gsi1pk', pattern });

/** Whether a partition key's value belongs to a family. */
export function inFamily(family: KeyFamily, value: string): boolean {
  return family.pattern.endsWith('*') ? value.startsWith(family.pattern.slice(0, -1)) : value === family.pattern;
}

/**
 * What a store does with keys, as IAM authorizes it: the table families it reads (GetItem,
 * BatchGetItem, Query of the table), the index families it queries (Query of gsi1) and the table
 * families it writes (PutItem, UpdateItem, alone or in a transaction: each item of a
 * TransactWriteItems is authorized as its own action, so each is in a family written).
 */
export interface StoreKeys {
  readonly reads: readonly KeyFamily[];
  readonly queries: readonly KeyFamily[];
  readonly writes: readonly KeyFamily[];
  /** Families a store writes whole in batches, puts and deletes (`BatchWriteItem`): a run's details, which a new attempt replaces. */
  readonly replaces?: readonly KeyFamily[];
}

/** The families of a table touched one way, as sorted unique patterns: what a condition lists. */
export function patternsOf(families: readonly KeyFamily[], table: FamilyTable): string[] {
  return [...new Set(families.filter((f) => f.table === table).map((f) => f.pattern))].sort();
}

/** Several stores' keys as one: what a function that builds them touches. */
export function unionOf(keys: readonly StoreKeys[]): StoreKeys {
  return {
    reads: keys.flatMap((k) => k.reads),
    queries: keys.flatMap((k) => k.queries),
    writes: keys.flatMap((k) => k.writes),
    replaces: keys.flatMap((k) => k.replaces ?? []),
  };
}
