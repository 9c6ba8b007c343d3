import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The environment every function gets (docs/architecture.md); set it before importing a handler module. */
export const TEST_TABLES = { ledger: 'LedgerTable-test', state: 'StateTable-test' } as const;
export const TEST_AUDIT_TABLE = 'AuditTable-test';
export const TEST_STATE_MACHINE_ARN = 'arn:aws-cn:states:cn-north-1:123456789012:stateMachine:LedgerCheck';
export const TEST_REVIEW_STATE_MACHINE_ARN = 'arn:aws-cn:states:cn-north-1:123456789012:stateMachine:JointReview';
export const TEST_EVENT_BUS = 'colend-events-test';
export const TEST_WEBHOOK_SECRETS_PREFIX = 'colend/test/webhook/';

/** The key file of the tests' personal-data cipher: the local stack's real cipher, its keys made once per test process. */
export const TEST_KEY_FILE = join(tmpdir(), 'colend-test-keys', `personal-data-keys-${process.pid}.json`);

export function setHandlerEnv(): void {
  process.env.LEDGER_TABLE = TEST_TABLES.ledger;
  process.env.STATE_TABLE = TEST_TABLES.state;
  process.env.AUDIT_TABLE = TEST_AUDIT_TABLE;
  process.env.LEDGER_CHECK_STATE_MACHINE_ARN = TEST_STATE_MACHINE_ARN;
  process.env.JOINT_REVIEW_STATE_MACHINE_ARN = TEST_REVIEW_STATE_MACHINE_ARN;
  process.env.EVENT_BUS_NAME = TEST_EVENT_BUS;
  process.env.POWERTOOLS_SERVICE_NAME = 'colend';
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  process.env.AWS_REGION = 'cn-north-1';
  // Each test hands a handler its own lenders and programs: nothing is kept from one test to the next.
  process.env.REFERENCE_CACHE_TTL_MS = '0';
  process.env.WEBHOOK_SECRETS_PREFIX = TEST_WEBHOOK_SECRETS_PREFIX;
  // A local stack started earlier in the same worker names its secrets file; handlers under test keep theirs in Secrets Manager.
  delete process.env.WEBHOOK_SECRETS_FILE;
  // Nor do they count a client's requests (docs/limits.md), unless a test sets the limits itself.
  delete process.env.API_CLIENT_LIMITS;
  // Handlers under test seal personal data with the local key file's cipher (docs/personal-data.md).
  process.env.PERSONAL_DATA_KEY_FILE = TEST_KEY_FILE;
}
