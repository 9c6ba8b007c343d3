import { join } from 'node:path';
import { REPOSITORY_ROOT } from './checkout.ts';

/**
 * What the local stack derives from this checkout's sources and keeps between starts (the
 * synthesized template, the compiled DynamoDB launcher), each under a key of what it was made from:
 * `.colend/cache` at the repository root, beside the checkout it belongs to.
 */
export function localCacheDir(rootDir: string = REPOSITORY_ROOT): string {
  return join(rootDir, '.colend', 'cache');
}
