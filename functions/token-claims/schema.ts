/** Environment variable holding `{ "<app client id>": "<lender id>" }`, built from the stage's clients. */
export const CLIENT_LENDERS_ENV = 'CLIENT_LENDERS';

export const LENDER_ID_CLAIM = 'lender_id';

export type ClientLenders = Readonly<Record<string, string>>;

// Checked by hand rather than with zod: a token trigger has a few seconds and should start fast.
function isClientLenders(value: unknown): value is ClientLenders {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    Object.entries(value).every(([clientId, lenderId]) => clientId !== '' && typeof lenderId === 'string' && lenderId !== '')
  );
}

/** Parses the mapping; a missing or malformed one is an error, never an empty mapping. */
export function parseClientLenders(raw: string | undefined): ClientLenders {
  if (raw === undefined) {
    throw new Error(`${CLIENT_LENDERS_ENV} is not set`);
  }
  const value: unknown = JSON.parse(raw);
  if (!isClientLenders(value)) {
    throw new Error(`${CLIENT_LENDERS_ENV} must map app client ids to lender ids`);
  }
  return value;
}
