/**
 * The shard of a key among `count`: a stable 32-bit FNV-1a hash of the key, so the same loan or
 * application always lands in the same shard, on every machine and after every restart.
 */
export function shardOf(key: string, count: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) hash = Math.imul(hash ^ key.charCodeAt(i), 0x01000193) >>> 0;
  return hash % count;
}
