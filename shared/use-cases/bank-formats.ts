import {
  BUILT_IN_BANK_FORMATS,
  validateBankStatementMapping,
  type BankFormatVersion,
  type BankStatementMappingInput,
} from '../domain/counterpart-records.ts';
import { NotFound } from '../domain/errors.ts';
import type { BankFormatStore, PageRequest, Seal } from '../ports/stores.ts';
import { writeNextVersion } from './versions.ts';

/**
 * Banks' statement mappings kept as configuration (docs/files.md, The bank's mapping): an
 * operator loads a bank's mapping as its next version; reconciliation reads the latest version of
 * the bank whose statement it matches. The built-in mapping is version 0 of its id, replaced by
 * any version loaded for that id.
 */
export interface BankFormatDeps {
  readonly bankFormats: BankFormatStore;
}

const latestOf = (versions: readonly BankFormatVersion[]): number => versions.reduce((latest, v) => Math.max(latest, v.version), 0);

/** Checks the mapping (every problem named with its field) before anything is read or written, then stores it as the bank's next version. */
export async function loadBankFormat(deps: BankFormatDeps, bankId: string, input: Omit<BankStatementMappingInput, 'bankId'>, loadedBy: string, seal: Seal, now: string): Promise<BankFormatVersion> {
  const mapping = validateBankStatementMapping({ ...input, bankId });
  return writeNextVersion(
    async () => latestOf(await deps.bankFormats.versions(bankId)),
    async (version) => {
      const loaded: BankFormatVersion = { bankId, version, mapping, loadedBy, loadedAt: now };
      await deps.bankFormats.put(loaded, seal(201, loaded));
      return loaded;
    },
  );
}

/** A bank's mapping: the latest version, or the one asked for; NOT_FOUND (bankFormat) for a bank or version never loaded. */
export async function bankFormat(deps: BankFormatDeps, bankId: string, version: number | null): Promise<BankFormatVersion> {
  const versions = [...BUILT_IN_BANK_FORMATS.filter((f) => f.bankId === bankId), ...(await deps.bankFormats.versions(bankId))];
  const found = version === null ? versions.find((v) => v.version === latestOf(versions)) : versions.find((v) => v.version === version);
  if (!found) throw new NotFound('bankFormat', version === null ? bankId : `${bankId} version ${version}`);
  return found;
}

/**
 * A page of the latest version of every bank's mapping, the highest bank id first; the first page
 * starts with the built-in ones no bank has loaded a version of (a loaded version is listed in its
 * place among the stored ones).
 */
export async function listBankFormats(deps: BankFormatDeps, page: PageRequest): Promise<{ bankFormats: BankFormatVersion[]; cursor: string | null }> {
  const stored = await deps.bankFormats.pageLatest(page);
  const builtIn = [];
  if (page.cursor === undefined) {
    for (const format of BUILT_IN_BANK_FORMATS) if ((await deps.bankFormats.versions(format.bankId)).length === 0) builtIn.push(format);
  }
  return { bankFormats: [...builtIn, ...stored.items], cursor: stored.cursor };
}
