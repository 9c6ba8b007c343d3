/**
 * Items keep amounts as decimal strings so they never pass through a float. By convention every
 * amount's name ends in `Minor` (`principalMinor`, `balancesMinor`); the codec converts exactly
 * those: bigint → string on the way in, string → bigint on the way out (map values included).
 */
export type Item = Record<string, unknown>;

const isMinorKey = (key: string): boolean => key.endsWith('Minor');

export function encode(value: unknown, key = ''): unknown {
  if (typeof value === 'bigint') {
    if (!isMinorKey(key)) throw new TypeError(`bigint outside an amount field: ${key}`);
    return value.toString();
  }
  if (Array.isArray(value)) return value.map((v) => encode(v, key));
  if (value !== null && typeof value === 'object') {
    const minorMap = isMinorKey(key);
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => [k, encode(v, minorMap ? key : k)]),
    );
  }
  return value;
}

export function decode<T>(value: unknown, key = ''): T {
  return decodeValue(value, key) as T;
}

function decodeValue(value: unknown, key: string): unknown {
  if (typeof value === 'string' && isMinorKey(key)) return BigInt(value);
  if (Array.isArray(value)) return value.map((v) => decodeValue(v, key));
  if (value !== null && typeof value === 'object') {
    const minorMap = isMinorKey(key);
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, decodeValue(v, minorMap ? key : k)]));
  }
  return value;
}

/** Removes the key and bookkeeping attributes of an item before decoding it. */
export function stripKeys(item: Item): Item {
  const { pk: _pk, sk: _sk, gsi1pk: _g1, gsi1sk: _g2, entityType: _e, ...rest } = item;
  return rest;
}
