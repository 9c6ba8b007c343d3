import { describe, expect, it } from 'vitest';
import { ALL_STORES, keysOfStore } from '../../../../../shared/adapters/dynamodb/index.ts';
import { inFamily, patternsOf, type KeyFamily } from '../../../../../shared/adapters/dynamodb/key-families.ts';
import { ledgerFamilies, ledgerKeys } from '../../../../../shared/adapters/dynamodb/ledger-keys.ts';
import { stateFamilies, stateKeys } from '../../../../../shared/adapters/dynamodb/state-keys.ts';

/** Every partition key a keys module builds: `pk` and `gsi1pk` of its item keys, and its `…Partition` values (a table's or an index's). */
interface Built {
  readonly builder: string;
  readonly key: 'pk' | 'gsi1pk' | 'either';
  readonly value: string;
}

function partitionsOf(keys: Record<string, unknown>): Built[] {
  return Object.entries(keys).flatMap(([builder, value]): Built[] => {
    // A reader of keys, not a builder.
    if (builder.endsWith('Of')) return [];
    // Every builder takes ids, dates, numbers or kinds; one string stands for each (a number pads the same).
    const built = typeof value === 'function' ? (value as (...args: string[]) => unknown)(...Array.from({ length: value.length }, () => '7')) : value;
    if (typeof built === 'string') return builder.endsWith('Partition') ? [{ builder, key: 'either', value: built } as const] : [];
    const item = built as { pk?: string; gsi1pk?: string };
    const found: Built[] = [
      ...(item.pk === undefined ? [] : [{ builder, key: 'pk', value: item.pk } as const]),
      ...(item.gsi1pk === undefined ? [] : [{ builder, key: 'gsi1pk', value: item.gsi1pk } as const]),
    ];
    return found;
  });
}

const TABLES = [
  { table: 'state', keys: stateKeys as Record<string, unknown>, families: Object.values(stateFamilies) as KeyFamily[] },
  { table: 'ledger', keys: ledgerKeys as Record<string, unknown>, families: Object.values(ledgerFamilies) as KeyFamily[] },
] as const;

describe.each(TABLES)('the $table table\'s key families', ({ table, keys, families }) => {
  const partitions = partitionsOf(keys);

  it('hold every partition key its module builds, each in exactly one family of its key', () => {
    expect(partitions.length).toBeGreaterThanOrEqual(families.length);
    for (const { builder, key, value } of partitions) {
      const owners = families.filter((f) => f.table === table && (key === 'either' || f.key === key) && inFamily(f, value));
      expect(owners.map((f) => f.pattern), `${builder} → ${value}`).toHaveLength(1);
    }
  });

  it('are each the family of some key the module builds (none left over from a key removed)', () => {
    for (const family of families) expect(partitions.some(({ value }) => inFamily(family, value)), family.pattern).toBe(true);
  });

  it('never overlap: no key of one family is in another of the same key', () => {
    for (const a of families) {
      for (const b of families) {
        if (a === b || a.key !== b.key) continue;
        expect(inFamily(b, a.pattern.replace(/\*$/, 'X')), `${a.pattern} in ${b.pattern}`).toBe(false);
      }
    }
  });
});

describe('a store declares its families', () => {
  it.each(ALL_STORES)('%s: table families read and written, index families queried', (name) => {
    const { reads, queries, writes } = keysOfStore(name);
    expect([...reads, ...writes].filter((f) => f.key !== 'pk')).toEqual([]);
    expect(queries.filter((f) => f.key !== 'gsi1pk')).toEqual([]);
    expect(reads.length + queries.length + writes.length).toBeGreaterThan(0);
  });

  it('used to read only, it writes nothing and reads what it reads', () => {
    expect(keysOfStore('loans:read')).toEqual({ ...keysOfStore('loans'), writes: [], replaces: [] });
    expect(keysOfStore('runDetails:read')).toEqual({ ...keysOfStore('runDetails'), writes: [], replaces: [] });
    expect(patternsOf(keysOfStore('runDetails').replaces ?? [], 'state')).toEqual(['DETAIL#*']);
    expect(patternsOf(keysOfStore('loans').writes, 'ledger')).toEqual(['LOAN#*']);
    expect(patternsOf(keysOfStore('loans').writes, 'state')).toEqual(['APP#*', 'BORROWER#*', 'IDEM#*', 'LOAN#*', 'QUOTA#*']);
  });
});
