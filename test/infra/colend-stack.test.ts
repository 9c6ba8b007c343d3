import { Validations } from 'aws-cdk-lib';
import type { App } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../infra/app.ts';
import type { ColendStack } from '../../infra/stacks/colend-stack.ts';
import { FUNCTIONS } from '../../infra/stacks/colend-stack.ts';
import { ROUTES } from '../../shared/http/routes.ts';
import {
  arnMarkerOf,
  byConstructId,
  entryOf,
  getAttArnOf,
  ofType,
  parseDefinition,
  refOf,
  repositoryFileExists,
  resourcesOf,
} from './support/template.ts';
import type { CfnResource, Resources } from './support/template.ts';

const CLIENTS = [
  { name: 'lead-ops', scopes: ['lead'] },
  { name: 'platform-finance', scopes: ['finance'] },
  { name: 'bank-a', scopes: ['partner'], lenderId: 'LENDER-A' },
  { name: 'bank-a-finance', scopes: ['finance'], lenderId: 'LENDER-A' },
];

const FUNCTION_IDS = {
  lenders: 'LendersFunction',
  programs: 'ProgramsFunction',
  loans: 'LoansFunction',
  positions: 'PositionsFunction',
  applications: 'ApplicationsFunction',
  'ledger-checks': 'LedgerChecksFunction',
  openapi: 'OpenApiFunction',
  'ledger-check-shard': 'LedgerCheckShardFunction',
  'ledger-check-report': 'LedgerCheckReportFunction',
  'review-steps': 'ReviewStepsFunction',
  'review-ask': 'ReviewAskFunction',
  'disbursement-steps': 'DisbursementStepsFunction',
  'disbursement-book': 'DisbursementBookFunction',
  'token-claims': 'TokenClaimsFunction',
  repayments: 'RepaymentsFunction',
  'repayment-batch': 'RepaymentBatchFunction',
  'repayment-book': 'RepaymentBookFunction',
  'repayment-publish': 'RepaymentPublishFunction',
  'risk-steps': 'RiskStepsFunction',
  'risk-updates': 'RiskUpdatesFunction',
  calendars: 'CalendarsFunction',
  'bank-formats': 'BankFormatsFunction',
  settlements: 'SettlementsFunction',
  'settlement-steps': 'SettlementStepsFunction',
  'profit-runs': 'ProfitRunsFunction',
  'profit-steps': 'ProfitStepsFunction',
  'regulatory-reports': 'RegulatoryReportsFunction',
  'regulatory-report-steps': 'RegulatoryReportStepsFunction',
  reconciliations: 'ReconciliationsFunction',
  'reconciliation-steps': 'ReconciliationStepsFunction',
  breaks: 'BreaksFunction',
  adjustments: 'AdjustmentsFunction',
  'break-escalation': 'BreakEscalationFunction',
  'webhook-delivery': 'WebhookDeliveryFunction',
  audit: 'AuditFunction',
} as const;
type FunctionFolder = keyof typeof FUNCTION_IDS;

let app: App;
let stack: ColendStack;
let template: Template;
let resources: Resources;

beforeAll(() => {
  ({ app, stack } = buildApp({ bundling: false, context: { 'colend:clients': CLIENTS } }));
  template = Template.fromStack(stack);
  resources = resourcesOf(template);
});

function fn(folder: FunctionFolder): [string, CfnResource] {
  return byConstructId(resources, 'AWS::Lambda::Function', FUNCTION_IDS[folder]);
}

function table(constructId: 'LedgerTable' | 'StateTable' | 'AuditTable'): [string, CfnResource] {
  return byConstructId(resources, 'AWS::DynamoDB::Table', constructId);
}

type WorkflowId =
  | 'LedgerCheckStateMachine'
  | 'JointReviewStateMachine'
  | 'DisbursementStateMachine'
  | 'RepaymentBatchStateMachine'
  | 'RiskUpdateStateMachine'
  | 'SettlementStateMachine'
  | 'ProfitSharingStateMachine'
  | 'RegulatoryReportStateMachine'
  | 'ReconciliationStateMachine';

function stateMachine(constructId: WorkflowId): [string, CfnResource] {
  return byConstructId(resources, 'AWS::StepFunctions::StateMachine', constructId);
}

function eventBus(): [string, CfnResource] {
  return byConstructId(resources, 'AWS::Events::EventBus', 'EventBus');
}

/** The files bucket's logical id. */
function filesBucket(): string {
  return byConstructId(resources, 'AWS::S3::Bucket', 'FilesBucket')[0];
}

/** The work bucket's logical id. */
function workBucket(): string {
  return byConstructId(resources, 'AWS::S3::Bucket', 'WorkBucket')[0];
}

interface Statement {
  readonly Action: string | string[];
  readonly Effect: string;
  readonly Resource: unknown;
}

/** The statements of the policies attached to a role (by the role's logical id). */
function statementsOf(roleId: string | undefined): Statement[] {
  return ofType(resources, 'AWS::IAM::Policy')
    .filter(([, policy]) => (policy.Properties?.['Roles'] as unknown[]).some((role) => refOf(role) === roleId))
    .flatMap(([, policy]) => (policy.Properties?.['PolicyDocument'] as { Statement: Statement[] }).Statement);
}

function actionsOf(statement: Statement): string[] {
  return Array.isArray(statement.Action) ? statement.Action : [statement.Action];
}

/** Every role allowed `action`, with the logical ids of the resources it is allowed on. */
function grantsOf(action: string): Record<string, string[]> {
  const grants: Record<string, string[]> = {};
  for (const [roleId] of ofType(resources, 'AWS::IAM::Role')) {
    const targets = statementsOf(roleId)
      .filter((statement) => statement.Effect === 'Allow' && actionsOf(statement).includes(action))
      .flatMap((statement) => (Array.isArray(statement.Resource) ? (statement.Resource as unknown[]) : [statement.Resource]))
      .map((resource) => refOf(resource) ?? getAttArnOf(resource) ?? JSON.stringify(resource));
    if (targets.length > 0) grants[roleId] = targets.sort();
  }
  return grants;
}

function roleOf(folder: FunctionFolder): string {
  return getAttArnOf(fn(folder)[1].Properties?.['Role']) ?? '';
}

describe('stack', () => {
  it('is the one stack Colend', () => {
    expect(stack.stackName).toBe('Colend');
    expect(stack.node.id).toBe('Colend');
  });
});

describe('tables', () => {
  it.each(['LedgerTable', 'StateTable', 'AuditTable'] as const)('%s: pk/sk strings, gsi1, on-demand, PITR, deletion protection, encryption, retained', (id) => {
    const [, resource] = table(id);
    expect(resource.DeletionPolicy).toBe('Retain');
    expect(resource.UpdateReplacePolicy).toBe('Retain');
    expect(resource.Properties).toEqual(
      expect.objectContaining({
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        AttributeDefinitions: expect.arrayContaining([
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
          { AttributeName: 'gsi1pk', AttributeType: 'S' },
          { AttributeName: 'gsi1sk', AttributeType: 'S' },
        ]),
        GlobalSecondaryIndexes: [
          {
            IndexName: 'gsi1',
            KeySchema: [
              { AttributeName: 'gsi1pk', KeyType: 'HASH' },
              { AttributeName: 'gsi1sk', KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'ALL' },
          },
        ],
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        DeletionProtectionEnabled: true,
        SSESpecification: { SSEEnabled: true },
      }),
    );
    expect(resource.Properties?.['TableName']).toBeUndefined();
  });

  it('has exactly the three tables: the ledger, the state and the audit trail', () => {
    expect(ofType(resources, 'AWS::DynamoDB::Table').map(([id]) => id.replace(/[0-9A-F]{8}$/, '')).sort()).toEqual(['AuditTable', 'LedgerTable', 'StateTable']);
  });
});

describe('functions', () => {
  it('is one function per folder, each bound to its handler module; the only others are the CDK\'s deployment of the console and the custom resource putting the upload CORS rule', () => {
    const [ours, others] = [ofType(resources, 'AWS::Lambda::Function').filter(([, r]) => r.Metadata?.['colend:entry'] !== undefined), ofType(resources, 'AWS::Lambda::Function').filter(([, r]) => r.Metadata?.['colend:entry'] === undefined)];
    expect(others.map(([id]) => id).sort()).toEqual([expect.stringMatching(/^AWS679f53fac002430cb0da5b7982bd2287[0-9A-F]{8}$/), expect.stringMatching(/^CustomCDKBucketDeployment[0-9A-F]{32}256MiB[0-9A-F]{8}$/)]);
    const entries = ours.map(([, resource]) => entryOf(resource));
    expect(entries.sort()).toEqual(Object.keys(FUNCTION_IDS).map((folder) => `functions/${folder}/handler.ts`).sort());
    for (const entry of entries) expect(repositoryFileExists(entry), entry).toBe(true);
  });

  it.each(Object.keys(FUNCTION_IDS) as FunctionFolder[])('%s: Node.js 22 on arm64, ESM bundle, tracing, JSON logs in its own log group', (folder) => {
    const [, resource] = fn(folder);
    const props = resource.Properties ?? {};
    expect(entryOf(resource)).toBe(`functions/${folder}/handler.ts`);
    expect(props['Runtime']).toBe('nodejs22.x');
    expect(props['Architectures']).toEqual(['arm64']);
    expect(props['Handler']).toBe('index.handler');
    expect(props['TracingConfig']).toEqual({ Mode: 'Active' });
    const logging = props['LoggingConfig'] as { LogFormat: string; LogGroup: unknown };
    expect(logging.LogFormat).toBe('JSON');
    const logGroup = resources[refOf(logging.LogGroup) ?? ''];
    expect(logGroup?.Type).toBe('AWS::Logs::LogGroup');
    expect(logGroup?.Properties?.['RetentionInDays']).toBe(90);
    const variables = (props['Environment'] as { Variables: Record<string, unknown> }).Variables;
    expect(variables['POWERTOOLS_SERVICE_NAME']).toBe('colend');
  });

  it('gives every function but the token trigger LEDGER_TABLE, STATE_TABLE and AUDIT_TABLE, and a workflow ARN or the bus only to the function that uses it', () => {
    const [ledgerId] = table('LedgerTable');
    const [stateId] = table('StateTable');
    const [auditId] = table('AuditTable');
    // Only the functions that seal or open personal data name its keys (docs/personal-data.md).
    const personalData = {
      PERSONAL_DATA_KEY_ID: byConstructId(resources, 'AWS::KMS::Key', 'PersonalDataKey')[0],
      PERSONAL_DATA_HASH_KEY_ID: byConstructId(resources, 'AWS::KMS::Key', 'PersonalDataHashKey')[0],
    };
    const extras: Partial<Record<FunctionFolder, Record<string, string>>> = {
      'ledger-checks': { LEDGER_CHECK_STATE_MACHINE_ARN: stateMachine('LedgerCheckStateMachine')[0] },
      applications: { JOINT_REVIEW_STATE_MACHINE_ARN: stateMachine('JointReviewStateMachine')[0], ...personalData },
      'review-ask': { EVENT_BUS_NAME: eventBus()[0] },
      'webhook-delivery': { WEBHOOKS_REQUIRE_HTTPS: 'true', WEBHOOK_SECRETS_PREFIX: 'colend/dev/webhook/' },
      lenders: { WEBHOOK_SECRETS_PREFIX: 'colend/dev/webhook/', ...personalData },
      loans: personalData,
      repayments: { REPAYMENT_BATCH_STATE_MACHINE_ARN: stateMachine('RepaymentBatchStateMachine')[0] },
      'risk-updates': { RISK_UPDATE_STATE_MACHINE_ARN: stateMachine('RiskUpdateStateMachine')[0] },
      'repayment-publish': { EVENT_BUS_NAME: eventBus()[0] },
      settlements: { SETTLEMENT_STATE_MACHINE_ARN: stateMachine('SettlementStateMachine')[0], FILES_BUCKET: filesBucket() },
      'settlement-steps': { FILES_BUCKET: filesBucket(), WORK_BUCKET: workBucket() },
      'profit-runs': { PROFIT_SHARING_STATE_MACHINE_ARN: stateMachine('ProfitSharingStateMachine')[0] },
      'regulatory-reports': { REGULATORY_REPORT_STATE_MACHINE_ARN: stateMachine('RegulatoryReportStateMachine')[0] },
      reconciliations: { RECONCILIATION_STATE_MACHINE_ARN: stateMachine('ReconciliationStateMachine')[0], FILES_BUCKET: filesBucket() },
      'reconciliation-steps': { FILES_BUCKET: filesBucket(), WORK_BUCKET: workBucket() },
      'break-escalation': { EVENT_BUS_NAME: eventBus()[0] },
    };
    // The stage's default limits for every client (the dev stage: 25 a second, 500,000 a day); no client here has its own.
    const limitsJson = JSON.stringify({ default: { requestsPerSecond: 25, requestsPerDay: 500_000 }, clients: [] });
    for (const folder of Object.keys(FUNCTION_IDS) as FunctionFolder[]) {
      const variables = (fn(folder)[1].Properties?.['Environment'] as { Variables: Record<string, unknown> }).Variables;
      if (folder === 'token-claims') {
        expect(Object.keys(variables).sort()).toEqual(['CLIENT_LENDERS', 'NODE_OPTIONS', 'POWERTOOLS_SERVICE_NAME', 'POWERTOOLS_TRACE_ENABLED']);
        continue;
      }
      expect(refOf(variables['LEDGER_TABLE'])).toBe(ledgerId);
      expect(refOf(variables['STATE_TABLE'])).toBe(stateId);
      expect(refOf(variables['AUDIT_TABLE'])).toBe(auditId);
      const servesClients = ROUTES.some((route) => route.function === folder && route.roles.length > 0);
      const extra = { ...extras[folder], ...(servesClients ? { API_CLIENT_LIMITS: limitsJson } : {}) };
      expect(Object.keys(variables).sort(), folder).toEqual(
        ['AUDIT_TABLE', 'LEDGER_TABLE', 'NODE_OPTIONS', 'POWERTOOLS_SERVICE_NAME', 'POWERTOOLS_TRACE_ENABLED', 'STATE_TABLE', ...Object.keys(extra)].sort(),
      );
      for (const [name, logicalId] of Object.entries(extra)) expect(refOf(variables[name]) ?? getAttArnOf(variables[name]) ?? variables[name], `${folder} ${name}`).toBe(logicalId);
    }
  });

  it('names no function except the token trigger, which the user pool refers to by name', () => {
    for (const folder of Object.keys(FUNCTION_IDS) as FunctionFolder[]) {
      const name = fn(folder)[1].Properties?.['FunctionName'];
      expect(name, folder).toEqual(folder === 'token-claims' ? 'Colend-token-claims' : undefined);
    }
  });
});

type Access = 'none' | 'read' | 'readWrite';

interface TableStatement {
  Action: string | string[];
  Resource: unknown;
  Condition?: { 'ForAllValues:StringLike'?: { 'dynamodb:LeadingKeys'?: string[] } };
}

/** The request counters of the API's edge (S44, docs/limits.md): a statement of their own, told apart from the data's. */
const isRequestCounting = (statement: TableStatement): boolean => JSON.stringify(statement.Condition?.['ForAllValues:StringLike']?.['dynamodb:LeadingKeys']) === '["CLIENTREQUESTS#*"]';

/** A function role's statements on a table. */
function tableStatements(functionLogicalId: string, tableLogicalId: string): TableStatement[] {
  const roleId = getAttArnOf(resources[functionLogicalId]?.Properties?.['Role']);
  return ofType(resources, 'AWS::IAM::Policy')
    .filter(([, policy]) => (policy.Properties?.['Roles'] as unknown[]).some((role) => refOf(role) === roleId))
    .flatMap(([, policy]) => (policy.Properties?.['PolicyDocument'] as { Statement: TableStatement[] }).Statement)
    .filter((statement) => JSON.stringify(statement.Resource).includes(`"${tableLogicalId}"`));
}

/** What a function's role may do on a table's data, read from its policies (the request counters apart). */
function tableAccess(functionLogicalId: string, tableLogicalId: string): Access {
  const actions = tableStatements(functionLogicalId, tableLogicalId)
    .filter((statement) => !isRequestCounting(statement))
    .flatMap((statement) => (Array.isArray(statement.Action) ? statement.Action : [statement.Action]));
  if (actions.length === 0) return 'none';
  if (actions.some((action) => action === '*' || action === 'dynamodb:*')) throw new Error('Wildcard table access');
  return actions.includes('dynamodb:PutItem') ? 'readWrite' : 'read';
}

describe('least privilege', () => {
  const expected: Record<FunctionFolder, { ledger: Access; state: Access }> = {
    lenders: { ledger: 'none', state: 'readWrite' },
    programs: { ledger: 'none', state: 'readWrite' },
    loans: { ledger: 'readWrite', state: 'readWrite' },
    positions: { ledger: 'read', state: 'read' },
    applications: { ledger: 'none', state: 'readWrite' },
    'ledger-checks': { ledger: 'none', state: 'readWrite' },
    openapi: { ledger: 'none', state: 'none' },
    'ledger-check-shard': { ledger: 'read', state: 'readWrite' },
    'ledger-check-report': { ledger: 'none', state: 'readWrite' },
    'review-steps': { ledger: 'none', state: 'readWrite' },
    'review-ask': { ledger: 'none', state: 'readWrite' },
    'disbursement-steps': { ledger: 'none', state: 'readWrite' },
    'disbursement-book': { ledger: 'readWrite', state: 'readWrite' },
    'token-claims': { ledger: 'none', state: 'none' },
    repayments: { ledger: 'readWrite', state: 'readWrite' },
    'repayment-batch': { ledger: 'none', state: 'none' },
    'repayment-book': { ledger: 'readWrite', state: 'readWrite' },
    // The ledger table's stream, and the loans it publishes.
    'repayment-publish': { ledger: 'read', state: 'read' },
    'risk-steps': { ledger: 'readWrite', state: 'readWrite' },
    'risk-updates': { ledger: 'none', state: 'readWrite' },
    calendars: { ledger: 'none', state: 'readWrite' },
    'bank-formats': { ledger: 'none', state: 'readWrite' },
    settlements: { ledger: 'none', state: 'readWrite' },
    'settlement-steps': { ledger: 'read', state: 'readWrite' },
    'profit-runs': { ledger: 'none', state: 'readWrite' },
    // Period fees are booked through the ledger writer: entries, head and positions.
    'profit-steps': { ledger: 'readWrite', state: 'readWrite' },
    'regulatory-reports': { ledger: 'none', state: 'readWrite' },
    // The loans' heads and the date index, read; the run and its shards, written.
    'regulatory-report-steps': { ledger: 'read', state: 'readWrite' },
    reconciliations: { ledger: 'none', state: 'readWrite' },
    // The escrow statement is matched against the date index's payments.
    'reconciliation-steps': { ledger: 'read', state: 'readWrite' },
    breaks: { ledger: 'none', state: 'readWrite' },
    // An approved adjustment is booked through the ledger writer: entry, head and positions.
    adjustments: { ledger: 'readWrite', state: 'readWrite' },
    'break-escalation': { ledger: 'none', state: 'readWrite' },
    // The lender's webhook.
    'webhook-delivery': { ledger: 'none', state: 'read' },
    // Only the audit trail (test/infra/audit-permissions.test.ts).
    audit: { ledger: 'none', state: 'none' },
  };

  it.each(Object.keys(FUNCTION_IDS) as FunctionFolder[])('%s counts its callers\' requests (UpdateItem on the counters only) exactly when it serves a route that needs a token', (folder) => {
    const [functionId] = fn(folder);
    const counting = tableStatements(functionId, table('StateTable')[0]).filter(isRequestCounting);
    const servesClients = ROUTES.some((route) => route.function === folder && route.roles.length > 0);
    expect(counting.map((statement) => statement.Action)).toEqual(servesClients ? ['dynamodb:UpdateItem'] : []);
    expect(tableStatements(functionId, table('LedgerTable')[0]).filter(isRequestCounting)).toEqual([]);
  });

  it.each(Object.keys(expected) as FunctionFolder[])('%s reaches the tables it needs and no more', (folder) => {
    const [functionId] = fn(folder);
    expect({
      ledger: tableAccess(functionId, table('LedgerTable')[0]),
      state: tableAccess(functionId, table('StateTable')[0]),
    }).toEqual(expected[folder]);
  });

  it('lets ledger-checks and the schedules start the ledger check and the risk update, applications the joint review, the joint review the disbursement', () => {
    const [ledgerCheckId] = stateMachine('LedgerCheckStateMachine');
    const [riskUpdateId] = stateMachine('RiskUpdateStateMachine');
    const [jointReviewId] = stateMachine('JointReviewStateMachine');
    const [disbursementId] = stateMachine('DisbursementStateMachine');
    const [settlementId] = stateMachine('SettlementStateMachine');
    const [profitSharingId] = stateMachine('ProfitSharingStateMachine');
    const [regulatoryReportId] = stateMachine('RegulatoryReportStateMachine');
    const [reconciliationId] = stateMachine('ReconciliationStateMachine');
    const roleOfSchedule = (id: string) =>
      getAttArnOf((byConstructId(resources, 'AWS::Scheduler::Schedule', id)[1].Properties?.['Target'] as { RoleArn: unknown }).RoleArn) ?? '';
    const jointReviewRole = getAttArnOf(stateMachine('JointReviewStateMachine')[1].Properties?.['RoleArn']) ?? '';
    const settlementRole = getAttArnOf(stateMachine('SettlementStateMachine')[1].Properties?.['RoleArn']) ?? '';
    expect(grantsOf('states:StartExecution')).toEqual({
      // Its Distributed Map runs each shard's gather as a child execution of the same state machine. It starts the reconciliation of the date once settled.
      [settlementRole]: [reconciliationId, settlementId],
      [roleOf('ledger-checks')]: [ledgerCheckId],
      [roleOfSchedule('DailyLedgerCheck')]: [ledgerCheckId],
      [roleOfSchedule('DailyRiskUpdate')]: [riskUpdateId],
      [roleOf('risk-updates')]: [riskUpdateId],
      [roleOf('applications')]: [jointReviewId],
      [jointReviewRole]: [disbursementId],
      [roleOfSchedule('DailySettlement')]: [settlementId],
      [roleOf('settlements')]: [settlementId],
      [roleOfSchedule('DailyProfitSharing')]: [profitSharingId],
      [roleOf('profit-runs')]: [profitSharingId],
      [roleOfSchedule('DailyRegulatoryReport')]: [regulatoryReportId],
      [roleOf('regulatory-reports')]: [regulatoryReportId],
      [roleOf('reconciliations')]: [reconciliationId],
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Action: 'states:StartExecution', Effect: 'Allow', Resource: { Ref: ledgerCheckId } }),
        ]),
      },
      Roles: [{ Ref: roleOf('ledger-checks') }],
    });
  });

  it('lets applications answer the task tokens of both review workflows, and review-ask resume its own ask in the joint review', () => {
    const disbursementId = stateMachine('DisbursementStateMachine')[0];
    const jointReviewId = stateMachine('JointReviewStateMachine')[0];
    expect(grantsOf('states:SendTaskSuccess')).toEqual({ [roleOf('applications')]: [disbursementId, jointReviewId].sort(), [roleOf('review-ask')]: [jointReviewId] });
    expect(grantsOf('states:SendTaskFailure')).toEqual({ [roleOf('applications')]: [disbursementId, jointReviewId].sort() });
    expect(grantsOf('states:SendTaskHeartbeat')).toEqual({});
  });

  it('lets only review-ask, repayment-publish and break-escalation publish events, and only to the bus', () => {
    expect(grantsOf('events:PutEvents')).toEqual({
      [roleOf('review-ask')]: [eventBus()[0]],
      [roleOf('repayment-publish')]: [eventBus()[0]],
      [roleOf('break-escalation')]: [eventBus()[0]],
    });
  });

  it('lets only the repayments API run the RepaymentBatch workflow, synchronously', () => {
    expect(grantsOf('states:StartSyncExecution')).toEqual({ [roleOf('repayments')]: [stateMachine('RepaymentBatchStateMachine')[0]] });
    expect(stateMachine('RepaymentBatchStateMachine')[1].Properties?.['StateMachineType']).toBe('EXPRESS');
  });

  it('uses no managed policy', () => {
    for (const [, role] of ofType(resources, 'AWS::IAM::Role')) {
      expect(role.Properties?.['ManagedPolicyArns']).toBeUndefined();
    }
  });
});

describe('HTTP API', () => {
  const ANY = ['colend/lead', 'colend/partner', 'colend/finance'];
  const LEAD = ['colend/lead'];
  const routes: [string, FunctionFolder, string[] | undefined][] = [
    ['POST /v1/lenders', 'lenders', LEAD],
    ['GET /v1/lenders', 'lenders', ANY],
    ['GET /v1/lenders/{lenderId}', 'lenders', ANY],
    ['POST /v1/lenders/{lenderId}/webhook-secret', 'lenders', ['colend/lead', 'colend/partner']],
    ['POST /v1/programs', 'programs', LEAD],
    ['GET /v1/programs', 'programs', ANY],
    ['GET /v1/programs/{programId}', 'programs', ANY],
    ['POST /v1/loans', 'loans', LEAD],
    ['POST /v1/borrower-lookups', 'loans', ['colend/lead', 'colend/finance']],
    ['GET /v1/loans/{loanId}', 'loans', ANY],
    ['GET /v1/loans/{loanId}/schedule', 'loans', ANY],
    ['GET /v1/loans/{loanId}/repayments', 'repayments', ANY],
    ['POST /v1/loans/{loanId}/transfers', 'repayments', LEAD],
    ['POST /v1/loans/{loanId}/buybacks', 'repayments', LEAD],
    ['POST /v1/loans/{loanId}/write-off', 'repayments', LEAD],
    ['POST /v1/loans/{loanId}/loss-events/{eventId}/reversal', 'repayments', ['colend/lead', 'colend/finance']],
    ['POST /v1/repayments', 'repayments', LEAD],
    ['GET /v1/repayments/{repaymentId}', 'repayments', ANY],
    ['POST /v1/repayments/{repaymentId}/reversal', 'repayments', LEAD],
    ['POST /v1/applications', 'applications', LEAD],
    ['GET /v1/applications', 'applications', ANY],
    ['GET /v1/applications/{applicationId}', 'applications', ANY],
    ['POST /v1/applications/{applicationId}/decisions', 'applications', ['colend/partner']],
    ['POST /v1/applications/{applicationId}/disbursement', 'applications', LEAD],
    ['GET /v1/lenders/{lenderId}/positions', 'positions', ANY],
    ['GET /v1/lenders/{lenderId}/profit', 'positions', ANY],
    ['POST /v1/ledger-checks', 'ledger-checks', ['colend/lead', 'colend/finance']],
    // Lead and finance only, at the gateway as in the function (one route table).
    ['GET /v1/ledger-checks/{businessDate}', 'ledger-checks', ['colend/lead', 'colend/finance']],
    ['POST /v1/risk-updates', 'risk-updates', ['colend/lead', 'colend/finance']],
    ['GET /v1/risk-updates/{businessDate}', 'risk-updates', ['colend/lead', 'colend/finance']],
    // Loading a year: lead and finance (the platform's: a partner's finance team is refused by the function).
    ['PUT /v1/calendars/{calendar}/years/{year}', 'calendars', ['colend/lead', 'colend/finance']],
    ['GET /v1/calendars/{calendar}', 'calendars', ANY],
    ['PUT /v1/bank-formats/{bankId}', 'bank-formats', ['colend/lead', 'colend/finance']],
    ['GET /v1/bank-formats', 'bank-formats', ['colend/lead', 'colend/finance']],
    ['GET /v1/bank-formats/{bankId}', 'bank-formats', ['colend/lead', 'colend/finance']],
    ['POST /v1/reconciliation-uploads', 'reconciliations', ANY],
    ['POST /v1/reconciliations', 'reconciliations', ANY],
    ['GET /v1/reconciliations', 'reconciliations', ANY],
    ['GET /v1/reconciliations/{reconciliationId}', 'reconciliations', ANY],
    ['GET /v1/reconciliations/{reconciliationId}/export', 'reconciliations', ANY],
    ['GET /v1/breaks', 'reconciliations', ANY],
    ['GET /v1/breaks/export', 'reconciliations', ANY],
    ['PUT /v1/reconciliation-settings/{counterparty}', 'reconciliations', ['colend/lead', 'colend/finance']],
    ['GET /v1/reconciliation-settings/{counterparty}', 'reconciliations', ['colend/lead', 'colend/finance']],
    ['POST /v1/settlement-runs', 'settlements', ['colend/lead', 'colend/finance']],
    ['GET /v1/settlement-runs', 'settlements', ANY],
    ['GET /v1/settlement-runs/{businessDate}', 'settlements', ['colend/lead', 'colend/finance']],
    ['POST /v1/settlement-runs/{businessDate}/instructions/{instructionId}/executed', 'settlements', ['colend/lead', 'colend/finance']],
    ['GET /v1/lenders/{lenderId}/statements/{businessDate}', 'settlements', ANY],
    ['GET /v1/lenders/{lenderId}/statements/{businessDate}/{fileName}', 'settlements', ANY],
    ['GET /v1/lenders/{lenderId}/statements/{businessDate}/human/{fileName}', 'settlements', ANY],
    ['POST /v1/profit-runs', 'profit-runs', ['colend/lead', 'colend/finance']],
    ['GET /v1/profit-runs/{programId}/{period}', 'profit-runs', ['colend/lead', 'colend/finance']],
    ['GET /v1/lenders/{lenderId}/profit-statements/{period}', 'profit-runs', ANY],
    ['PUT /v1/lenders/{lenderId}/regulatory-figures/{effectiveDate}', 'lenders', LEAD],
    ['GET /v1/lenders/{lenderId}/regulatory-figures', 'lenders', ANY],
    ['POST /v1/regulatory-reports', 'regulatory-reports', ['colend/lead', 'colend/finance']],
    ['GET /v1/regulatory-reports/{businessDate}', 'regulatory-reports', ['colend/lead', 'colend/finance']],
    ['GET /v1/breaks/{breakId}', 'breaks', ANY],
    // Lead and finance at the gateway; a lender's finance team is refused by the function.
    ['POST /v1/breaks/{breakId}/actions', 'breaks', ['colend/lead', 'colend/finance']],
    ['POST /v1/adjustments', 'adjustments', ['colend/finance']],
    ['GET /v1/adjustments', 'adjustments', ANY],
    ['GET /v1/adjustments/{adjustmentId}', 'adjustments', ANY],
    ['GET /v1/audit', 'audit', ANY],
    ['POST /v1/adjustments/{adjustmentId}/approval', 'adjustments', ['colend/finance']],
    ['POST /v1/adjustments/{adjustmentId}/rejection', 'adjustments', ['colend/finance']],
    ['GET /v1/openapi.json', 'openapi', undefined],
  ];

  function routeByKey(key: string): CfnResource {
    const found = ofType(resources, 'AWS::ApiGatewayV2::Route').filter(([, route]) => route.Properties?.['RouteKey'] === key);
    expect(found, key).toHaveLength(1);
    return (found[0] as [string, CfnResource])[1];
  }

  it('has exactly the routes of docs/architecture.md', () => {
    const keys = ofType(resources, 'AWS::ApiGatewayV2::Route').map(([, route]) => route.Properties?.['RouteKey']);
    expect(keys.sort()).toEqual(routes.map(([key]) => key).sort());
  });

  it.each(routes)('%s → functions/%s with scopes %j', (key, folder, scopes) => {
    const route = routeByKey(key);
    const target = (route.Properties?.['Target'] as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1];
    const integration = resources[refOf(target[1]) ?? ''];
    expect(integration?.Type).toBe('AWS::ApiGatewayV2::Integration');
    expect(integration?.Properties?.['IntegrationType']).toBe('AWS_PROXY');
    expect(integration?.Properties?.['PayloadFormatVersion']).toBe('2.0');
    expect(getAttArnOf(integration?.Properties?.['IntegrationUri'])).toBe(fn(folder)[0]);
    if (scopes === undefined) {
      expect(route.Properties?.['AuthorizationType']).toBe('NONE');
      expect(route.Properties?.['AuthorizerId']).toBeUndefined();
    } else {
      const [authorizerId] = ofType(resources, 'AWS::ApiGatewayV2::Authorizer')[0] ?? [];
      expect(route.Properties?.['AuthorizationType']).toBe('JWT');
      expect(refOf(route.Properties?.['AuthorizerId'])).toBe(authorizerId);
      expect(route.Properties?.['AuthorizationScopes']).toEqual(scopes);
    }
  });

  it('checks JWTs from the user pool for the configured app clients', () => {
    const authorizers = ofType(resources, 'AWS::ApiGatewayV2::Authorizer');
    expect(authorizers).toHaveLength(1);
    const [userPoolId] = byConstructId(resources, 'AWS::Cognito::UserPool', 'IdentityUserPool');
    const clientIds = ofType(resources, 'AWS::Cognito::UserPoolClient').map(([id]) => id);
    const props = (authorizers[0] as [string, CfnResource])[1].Properties ?? {};
    expect(props['AuthorizerType']).toBe('JWT');
    expect(props['IdentitySource']).toEqual(['$request.header.Authorization']);
    const jwt = props['JwtConfiguration'] as { Audience: unknown[]; Issuer: unknown };
    expect(jwt.Audience.map(refOf).sort()).toEqual(clientIds.sort());
    expect(JSON.stringify(jwt.Issuer)).toContain('https://cognito-idp.');
    expect(JSON.stringify(jwt.Issuer)).toContain(`{"Ref":"${userPoolId}"}`);
  });

  it('serves the $default stage with access logs and throttling', () => {
    const stages = ofType(resources, 'AWS::ApiGatewayV2::Stage');
    expect(stages).toHaveLength(1);
    const props = (stages[0] as [string, CfnResource])[1].Properties ?? {};
    expect(props['StageName']).toBe('$default');
    expect(props['AutoDeploy']).toBe(true);
    expect(props['DefaultRouteSettings']).toEqual({ ThrottlingBurstLimit: 100, ThrottlingRateLimit: 50 });
    const accessLogs = props['AccessLogSettings'] as { DestinationArn: unknown; Format: string };
    expect(resources[getAttArnOf(accessLogs.DestinationArn) ?? '']?.Type).toBe('AWS::Logs::LogGroup');
    expect(JSON.parse(accessLogs.Format)).toEqual(expect.objectContaining({ requestId: '$context.requestId', status: '$context.status' }));
  });
});

describe('identity', () => {
  it('has the resource server colend with the scopes lead, partner and finance', () => {
    template.hasResourceProperties('AWS::Cognito::UserPoolResourceServer', {
      Identifier: 'colend',
      Scopes: [
        Match.objectLike({ ScopeName: 'lead' }),
        Match.objectLike({ ScopeName: 'partner' }),
        Match.objectLike({ ScopeName: 'finance' }),
      ],
    });
  });

  it('creates one client-credentials app client with a secret per configured client', () => {
    const clients = ofType(resources, 'AWS::Cognito::UserPoolClient')
      .map(([, client]) => client.Properties ?? {})
      .filter((client) => client['ClientName'] !== 'finance-console');
    expect(clients.map((client) => client['ClientName']).sort()).toEqual(CLIENTS.map((client) => client.name).sort());
    for (const client of clients) {
      expect(client['AllowedOAuthFlows']).toEqual(['client_credentials']);
      expect(client['GenerateSecret']).toBe(true);
      const expectedScopes = CLIENTS.find((c) => c.name === client['ClientName'])?.scopes.map((scope) => `/${scope}`);
      const scopes = (client['AllowedOAuthScopes'] as { 'Fn::Join': [string, [unknown, string]] }[]).map((scope) => scope['Fn::Join'][1][1]);
      expect(scopes).toEqual(expectedScopes);
    }
  });

  it('calls the token trigger (event version 3) on a retained pool whose users only administrators create', () => {
    const [, pool] = byConstructId(resources, 'AWS::Cognito::UserPool', 'IdentityUserPool');
    expect(pool.DeletionPolicy).toBe('Retain');
    expect(pool.Properties?.['UserPoolTier']).toBe('ESSENTIALS');
    expect(pool.Properties?.['AdminCreateUserConfig']).toEqual({ AllowAdminCreateUserOnly: true });
    const trigger = (pool.Properties?.['LambdaConfig'] as { PreTokenGenerationConfig: { LambdaArn: unknown; LambdaVersion: string } })
      .PreTokenGenerationConfig;
    expect(trigger.LambdaVersion).toBe('V3_0');
    expect(JSON.stringify(trigger.LambdaArn)).toContain(':function:Colend-token-claims');
  });

  it('lets Cognito invoke the trigger only once the function exists', () => {
    const [tokenClaimsId] = fn('token-claims');
    const [poolId] = byConstructId(resources, 'AWS::Cognito::UserPool', 'IdentityUserPool');
    const permissions = ofType(resources, 'AWS::Lambda::Permission').filter(
      ([, permission]) => permission.Properties?.['Principal'] === 'cognito-idp.amazonaws.com',
    );
    expect(permissions).toHaveLength(1);
    const [, permission] = permissions[0] as [string, CfnResource];
    expect(getAttArnOf(permission.Properties?.['SourceArn'])).toBe(poolId);
    expect(JSON.stringify(permission.Properties?.['FunctionName'])).toContain(':function:Colend-token-claims');
    expect(permission.DependsOn).toContain(tokenClaimsId);
  });

  it('maps each app client that belongs to a lender to its lender id in CLIENT_LENDERS', () => {
    const variables = (fn('token-claims')[1].Properties?.['Environment'] as { Variables: Record<string, unknown> }).Variables;
    const clientId = (name: string): string =>
      byConstructId(resources, 'AWS::Cognito::UserPoolClient', `IdentityUserPoolClient${name.replaceAll('-', '')}`)[0];
    // Render the Fn::Join with each client Ref replaced by its logical id, then read it as JSON.
    const join = (variables['CLIENT_LENDERS'] as { 'Fn::Join': [string, unknown[]] })['Fn::Join'];
    const rendered = join[1].map((part) => (typeof part === 'string' ? part : refOf(part))).join(join[0]);
    expect(JSON.parse(rendered)).toEqual({ [clientId('bank-a')]: 'LENDER-A', [clientId('bank-a-finance')]: 'LENDER-A' });
  });
});

describe('workflows the local stack resumes after a --persist restart', () => {
  it('marks the settlement alone as resumable from its first state; the review workflows are resumed for their task tokens, the others not', () => {
    const marked = ofType(resources, 'AWS::StepFunctions::StateMachine')
      .filter(([, resource]) => resource.Metadata?.['colend:resume'] !== undefined)
      .map(([logicalId, resource]) => [logicalId.replace(/[0-9A-F]{8}$/, ''), resource.Metadata?.['colend:resume']]);
    expect(marked).toEqual([['SettlementStateMachine', 'FROM_FIRST_STATE']]);
    expect(stateMachine('SettlementStateMachine')[1].Metadata?.['colend:resume']).toBe('FROM_FIRST_STATE');
  });
});

describe('ledger-check workflow', () => {
  function definition(): { resource: CfnResource; asl: Record<string, unknown> } {
    const [, resource] = byConstructId(resources, 'AWS::StepFunctions::StateMachine', 'LedgerCheckStateMachine');
    return { resource, asl: parseDefinition(resource.Properties?.['DefinitionString']) };
  }

  it('is a Standard state machine logging its failures without data, with tracing', () => {
    const { resource } = definition();
    expect(resource.Properties?.['StateMachineType']).toBe('STANDARD');
    expect(resource.Properties?.['TracingConfiguration']).toEqual({ Enabled: true });
    const logging = resource.Properties?.['LoggingConfiguration'] as { Level: string; IncludeExecutionData: boolean };
    expect(logging.Level).toBe('ERROR');
    expect(logging.IncludeExecutionData).toBe(false);
  });

  it('runs PrepareShards → VerifyShards (VerifyShard per shard) → RecordReport, a failure of either into CheckFailed', () => {
    const { asl } = definition();
    const states = asl['States'] as Record<string, Record<string, unknown>>;
    expect(asl['StartAt']).toBe('PrepareShards');
    expect(Object.keys(states).sort()).toEqual(['CheckFailed', 'PrepareShards', 'RecordReport', 'ReportExecution', 'ReportPayload', 'VerifyShards']);
    expect(states['CheckFailed']).toEqual(expect.objectContaining({ Type: 'Fail' }));
    expect(states['PrepareShards']).toEqual(expect.objectContaining({ Type: 'Pass', Next: 'VerifyShards' }));
    expect(states['VerifyShards']).toEqual(expect.objectContaining({ Type: 'Map', MaxConcurrency: 4, Next: 'ReportExecution' }));
    // The report's payload is the state with the execution's id added, for its audit record.
    expect(states['ReportExecution']).toEqual({ Type: 'Pass', Parameters: { 'executionId.$': '$$.Execution.Id' }, ResultPath: '$.execution', Next: 'ReportPayload' });
    expect(states['ReportPayload']).toEqual({ Type: 'Pass', Parameters: { 'payload.$': 'States.JsonMerge($, $.execution, false)' }, OutputPath: '$.payload', Next: 'RecordReport' });
    const processor = states['VerifyShards']?.['ItemProcessor'] as { StartAt: string; States: Record<string, Record<string, unknown>> };
    expect(processor.StartAt).toBe('VerifyShard');
    expect(Object.keys(processor.States)).toEqual(['VerifyShard']);
    expect(states['RecordReport']).toEqual(expect.objectContaining({ Type: 'Task', End: true }));
  });

  it('binds every Task state directly to a function ARN: VerifyShard → ledger-check-shard, RecordReport → ledger-check-report', () => {
    const { asl } = definition();
    const states = asl['States'] as Record<string, Record<string, unknown>>;
    const processor = states['VerifyShards']?.['ItemProcessor'] as { States: Record<string, Record<string, unknown>> };
    const tasks: Record<string, Record<string, unknown>> = {
      VerifyShard: processor.States['VerifyShard'] ?? {},
      RecordReport: states['RecordReport'] ?? {},
    };
    const expectedEntries = { VerifyShard: 'functions/ledger-check-shard/handler.ts', RecordReport: 'functions/ledger-check-report/handler.ts' };
    for (const [name, task] of Object.entries(tasks)) {
      expect(task['Parameters'], name).toBeUndefined();
      const logicalId = arnMarkerOf(task['Resource']);
      const target = resources[logicalId ?? ''];
      expect(target?.Type, name).toBe('AWS::Lambda::Function');
      expect(entryOf(target as CfnResource)).toBe(expectedEntries[name as keyof typeof expectedEntries]);
    }
  });
});

type Asl = { StartAt: string; States: Record<string, Record<string, unknown>> };

/** Every state of a definition, those of its Maps' processors included, by name. */
function allStates(states: Record<string, Record<string, unknown>>): Record<string, Record<string, unknown>> {
  const nested = Object.values(states).flatMap((state) => {
    const processor = (state['ItemProcessor'] ?? state['Iterator']) as { States: Record<string, Record<string, unknown>> } | undefined;
    return processor === undefined ? [] : Object.entries(allStates(processor.States));
  });
  return { ...states, ...Object.fromEntries(nested) };
}

describe('audited workflow steps (docs/audit.md, In workflow steps)', () => {
  const EXECUTION_ID = { 'executionId.$': '$$.Execution.Id' };
  const audited: Readonly<Record<Exclude<WorkflowId, 'RepaymentBatchStateMachine' | 'LedgerCheckStateMachine' | 'RiskUpdateStateMachine'>, readonly string[]>> = {
    SettlementStateMachine: ['Instruct', 'WriteFiles', 'CloseRun', 'FailRun'],
    JointReviewStateMachine: ['ChooseCandidates', 'Allocate', 'RecordFailure'],
    DisbursementStateMachine: ['BookLoan'],
    ProfitSharingStateMachine: ['CloseRun', 'FailRun'],
    ReconciliationStateMachine: ['Reconcile', 'FailReconciliation'],
    RegulatoryReportStateMachine: ['RecordReport', 'FailRun'],
  };

  it.each(Object.entries(audited))("%s: each audited Task state's payload carries the execution's id", (constructId, names) => {
    const states = allStates(aslOf(constructId as WorkflowId).States);
    for (const name of names) expect(states[name]?.['Parameters'], name).toEqual(expect.objectContaining(EXECUTION_ID));
  });

  it("RiskUpdate: each shard's payload is the execution's input, its shard and the execution's id", () => {
    const states = aslOf('RiskUpdateStateMachine').States;
    expect(states['AssessShards']?.['ItemSelector']).toEqual({ 'payload.$': 'States.JsonMerge($$.Execution.Input, $$.Map.Item.Value, false)', execution: EXECUTION_ID });
    expect(allStates(states)['ShardPayload']).toEqual({ Type: 'Pass', Parameters: { 'payload.$': 'States.JsonMerge($.payload, $.execution, false)' }, OutputPath: '$.payload', Next: 'AssessShard' });
  });

  it('grants each step function that records its actions appending to the audit trail', () => {
    for (const name of ['settlement-steps', 'review-steps', 'disbursement-book', 'risk-steps', 'profit-steps', 'reconciliation-steps', 'regulatory-report-steps', 'ledger-check-report', 'break-escalation'] as const) {
      expect(FUNCTIONS[name].audit, name).toBe('append');
    }
  });
});

function aslOf(constructId: WorkflowId): Asl {
  return parseDefinition(stateMachine(constructId)[1].Properties?.['DefinitionString']) as unknown as Asl;
}

/** The handler module a Task state runs: Resource = function ARN, or Parameters.FunctionName for callbacks. */
function taskEntry(task: Record<string, unknown> | undefined): string {
  const parameters = task?.['Parameters'] as Record<string, unknown> | undefined;
  const logicalId = arnMarkerOf(task?.['Resource']) ?? arnMarkerOf(parameters?.['FunctionName']);
  const target = resources[logicalId ?? ''];
  expect(target?.Type).toBe('AWS::Lambda::Function');
  return entryOf(target as CfnResource);
}

describe.each(['JointReviewStateMachine', 'DisbursementStateMachine'] as const)('%s', (constructId) => {
  it('is a Standard state machine logging its failures without data, with tracing, and a timeout beyond any wait of a program', () => {
    const [, resource] = stateMachine(constructId);
    expect(resource.Properties?.['StateMachineType']).toBe('STANDARD');
    expect(resource.Properties?.['TracingConfiguration']).toEqual({ Enabled: true });
    const logging = resource.Properties?.['LoggingConfiguration'] as { Level: string; IncludeExecutionData: boolean };
    expect(logging.Level).toBe('ERROR');
    expect(logging.IncludeExecutionData).toBe(false);
    expect(resource.Properties?.['StateMachineName']).toBeUndefined();
    // Programs wait at most 30 days per ask or disbursement.
    expect((aslOf(constructId) as unknown as { TimeoutSeconds: number }).TimeoutSeconds).toBeGreaterThan(30 * 86_400);
  });
});

describe('joint-review workflow', () => {
  it('binds ChooseCandidates, RecordTimeout and Allocate to review-steps and AskPartner to review-ask', () => {
    const { States: states } = aslOf('JointReviewStateMachine');
    const processor = states['AskPartners']?.['ItemProcessor'] as Asl;
    expect(taskEntry(states['ChooseCandidates'])).toBe('functions/review-steps/handler.ts');
    expect(taskEntry(states['Allocate'])).toBe('functions/review-steps/handler.ts');
    expect(taskEntry(processor.States['RecordTimeout'])).toBe('functions/review-steps/handler.ts');
    expect(taskEntry(processor.States['AskPartner'])).toBe('functions/review-ask/handler.ts');
    expect(processor.States['AskPartner']?.['Resource']).toMatch(/:states:::lambda:invoke\.waitForTaskToken$/);
    expect(processor.States['AskPartner']?.['TimeoutSecondsPath']).toBe('$.timeoutSeconds');
  });

  it('starts the Disbursement state machine of the same stack, named by the application id', () => {
    const start = aslOf('JointReviewStateMachine').States['StartDisbursement'] ?? {};
    expect(start['Resource']).toMatch(/:states:::states:startExecution$/);
    const parameters = start['Parameters'] as Record<string, unknown>;
    expect(parameters['StateMachineArn']).toBe(`\${${stateMachine('DisbursementStateMachine')[0]}}`);
    expect(parameters['Name.$']).toBe('$.applicationId');
  });
});

describe('disbursement workflow', () => {
  it('binds ReserveQuota, AwaitDisbursement and Release to disbursement-steps and BookLoan to disbursement-book', () => {
    const { States: states } = aslOf('DisbursementStateMachine');
    for (const name of ['ReserveQuota', 'AwaitDisbursement', 'Release']) {
      expect(taskEntry(states[name]), name).toBe('functions/disbursement-steps/handler.ts');
    }
    expect(taskEntry(states['BookLoan'])).toBe('functions/disbursement-book/handler.ts');
    expect(states['AwaitDisbursement']?.['TimeoutSecondsPath']).toBe('$.timeoutSeconds');
  });
});

describe('settlement workflow', () => {
  type MapState = Record<string, unknown> & { ItemProcessor: Asl & { ProcessorConfig?: Record<string, unknown> } };

  it('gathers the shards with a Distributed Map reading the manifest OpenRun writes to the work bucket, 4 at a time, results discarded', () => {
    const { States: states } = aslOf('SettlementStateMachine');
    const map = states['GatherShards'] as MapState;
    expect(map).toMatchObject({
      Type: 'Map',
      MaxConcurrency: 4,
      ResultPath: null,
      ItemSelector: { 'businessDate.$': '$.businessDate', 'shard.$': '$$.Map.Item.Value.shard' },
      ItemReader: { Resource: 'arn:${AWS::Partition}:states:::s3:getObject', ReaderConfig: { InputType: 'JSON' }, Parameters: { Bucket: `\${${workBucket()}}`, 'Key.$': '$.manifest' } },
      Next: 'Instruct',
    });
    expect(map['ItemsPath']).toBeUndefined();
    expect(map['ItemBatcher']).toBeUndefined();
    expect(map['ResultWriter']).toBeUndefined();
    expect(map.ItemProcessor.ProcessorConfig).toEqual({ Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' });
    expect(taskEntry(map.ItemProcessor.States['GatherShard'])).toBe('functions/settlement-steps/handler.ts');
  });

  it('lets the state machine read the work files of the work bucket, not the statements, and run its own child executions', () => {
    const role = getAttArnOf(stateMachine('SettlementStateMachine')[1].Properties?.['RoleArn']) ?? '';
    const reads = statementsOf(role).filter((statement) => actionsOf(statement).includes('s3:GetObject'));
    expect(reads.map((statement) => statement.Resource)).toEqual([{ 'Fn::Join': ['', [{ 'Fn::GetAtt': [workBucket(), 'Arn'] }, '/settlement-work/*']] }]);
    expect(statementsOf(role).flatMap(actionsOf).filter((action) => action.startsWith('s3:'))).toEqual(['s3:GetObject']);
    expect(grantsOf('states:DescribeExecution')[role]).toHaveLength(1);
  });

  it('gathers with an inline Map over the shards OpenRun returns on the local stage, whose engine runs no Distributed Map, and reads nothing of the bucket', () => {
    const local = resourcesOf(Template.fromStack(buildApp({ bundling: false, context: { 'colend:stage': 'local' } }).stack));
    const [, machine] = byConstructId(local, 'AWS::StepFunctions::StateMachine', 'SettlementStateMachine');
    const map = (parseDefinition(machine.Properties?.['DefinitionString']) as unknown as Asl).States['GatherShards'] as MapState;
    expect(map).toMatchObject({ Type: 'Map', ItemsPath: '$.shards', MaxConcurrency: 4, ResultPath: null, ItemSelector: { 'businessDate.$': '$.businessDate', 'shard.$': '$$.Map.Item.Value.shard' } });
    expect(map['ItemReader']).toBeUndefined();
    expect(map.ItemProcessor.ProcessorConfig).toEqual({ Mode: 'INLINE' });
    const role = getAttArnOf(machine.Properties?.['RoleArn']);
    const actions = ofType(local, 'AWS::IAM::Policy')
      .filter(([, policy]) => (policy.Properties?.['Roles'] as unknown[]).some((r) => refOf(r) === role))
      .flatMap(([, policy]) => (policy.Properties?.['PolicyDocument'] as { Statement: Statement[] }).Statement.flatMap(actionsOf));
    // Only the reconciliation of the settled date is started; no child execution gathers a shard.
    expect(actions.filter((action) => action.startsWith('s3:') || action === 'states:StartExecution')).toEqual(['states:StartExecution']);
    const starts = ofType(local, 'AWS::IAM::Policy')
      .filter(([, policy]) => (policy.Properties?.['Roles'] as unknown[]).some((r) => refOf(r) === role))
      .flatMap(([, policy]) => (policy.Properties?.['PolicyDocument'] as { Statement: Statement[] }).Statement)
      .filter((st) => actionsOf(st).includes('states:StartExecution'));
    expect(starts.map((st) => refOf(st.Resource))).toEqual([byConstructId(local, 'AWS::StepFunctions::StateMachine', 'ReconciliationStateMachine')[0]]);
  });
});

describe('event bus', () => {
  it("is the one bus for Colend's events, named from its construct path", () => {
    expect(ofType(resources, 'AWS::Events::EventBus')).toHaveLength(1);
    const [, bus] = eventBus();
    expect(bus.Properties?.['Name']).toMatch(/^ColendEventBus[0-9A-F]{8}$/);
    expect(bus.Properties?.['Policy']).toBeUndefined();
  });

  it("archives every event of Colend's for a year", () => {
    const archives = ofType(resources, 'AWS::Events::Archive');
    expect(archives).toHaveLength(1);
    expect(archives[0]![1].Properties).toMatchObject({
      SourceArn: { 'Fn::GetAtt': [eventBus()[0], 'Arn'] },
      EventPattern: { source: ['colend'] },
      RetentionDays: 365,
    });
  });

  it("routes review requests to webhook-delivery, retried 8 times within a day, then to the rule's own dead-letter queue", () => {
    const rules = ofType(resources, 'AWS::Events::Rule');
    expect(rules.map(([id]) => id)).toEqual([expect.stringMatching(/^WebhooksRule[0-9A-F]{8}$/)]);
    const props = rules[0]![1].Properties ?? {};
    expect(refOf(props['EventBusName'])).toBe(eventBus()[0]);
    expect(props['EventPattern']).toEqual({ source: ['colend'], 'detail-type': ['colend.review.requested'] });
    expect(props['State']).toBe('ENABLED');
    const [queueId, queue] = byConstructId(resources, 'AWS::SQS::Queue', 'WebhookDeadLetters');
    expect(props['Targets']).toEqual([
      {
        Id: 'Target0',
        Arn: { 'Fn::GetAtt': [fn('webhook-delivery')[0], 'Arn'] },
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': [queueId, 'Arn'] } },
        RetryPolicy: { MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 86_400 },
      },
    ]);
    expect(queue.Properties).toMatchObject({ SqsManagedSseEnabled: true, MessageRetentionPeriod: 1_209_600 });
    // Only the rule may invoke the function, and only the rule may send to the queue.
    const permissions = ofType(resources, 'AWS::Lambda::Permission').filter(([, p]) => getAttArnOf(p.Properties?.['FunctionName']) === fn('webhook-delivery')[0]);
    expect(permissions.map(([, p]) => [p.Properties?.['Principal'], getAttArnOf(p.Properties?.['SourceArn'])])).toEqual([['events.amazonaws.com', rules[0]![0]]]);
    const [, queuePolicy] = ofType(resources, 'AWS::SQS::QueuePolicy').find(([, p]) => JSON.stringify(p.Properties?.['Queues']).includes(queueId)) ?? [];
    const sends = (queuePolicy?.Properties?.['PolicyDocument'] as { Statement: { Action: string; Condition?: unknown; Principal?: unknown }[] }).Statement.filter((st) => st.Action === 'sqs:SendMessage');
    expect(sends).toEqual([expect.objectContaining({ Principal: { Service: 'events.amazonaws.com' }, Condition: { ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': [rules[0]![0], 'Arn'] } } } })]);
  });
});

describe('daily ledger check schedule', () => {
  it('starts the ledger check at 01:00 Beijing time with the scheduled time as input', () => {
    const [, schedule] = byConstructId(resources, 'AWS::Scheduler::Schedule', 'DailyLedgerCheck');
    const [stateMachineId] = byConstructId(resources, 'AWS::StepFunctions::StateMachine', 'LedgerCheckStateMachine');
    expect(schedule.Properties?.['ScheduleExpression']).toBe('cron(0 1 * * ? *)');
    expect(schedule.Properties?.['ScheduleExpressionTimezone']).toBe('Asia/Shanghai');
    expect(schedule.Properties?.['State']).toBe('ENABLED');
    const target = schedule.Properties?.['Target'] as { Arn: unknown; Input: string; RetryPolicy: unknown };
    expect(refOf(target.Arn)).toBe(stateMachineId);
    expect(JSON.parse(target.Input)).toEqual({ scheduledTime: '<aws.scheduler.scheduled-time>' });
  });
});

describe('regulatory report workflow and schedule', () => {
  it('runs OpenRun → MeasureShards (MeasureShard per loan shard) → RecordReport, every Task bound to regulatory-report-steps', () => {
    const asl = aslOf('RegulatoryReportStateMachine');
    expect(asl.StartAt).toBe('OpenRun');
    const processor = asl.States['MeasureShards']?.['ItemProcessor'] as Asl;
    const tasks = { ...asl.States, ...processor.States };
    const taskNames = Object.keys(tasks).filter((name) => tasks[name]?.['Type'] === 'Task').sort();
    expect(taskNames).toEqual(['FailRun', 'MeasureShard', 'OpenRun', 'RecordReport']);
    for (const name of taskNames) expect(taskEntry(tasks[name]), name).toBe('functions/regulatory-report-steps/handler.ts');
  });

  it('starts the report at 00:45 Beijing time, after every cut-off of the day that closed, with the scheduled time as input', () => {
    const [, schedule] = byConstructId(resources, 'AWS::Scheduler::Schedule', 'DailyRegulatoryReport');
    expect(schedule.Properties?.['ScheduleExpression']).toBe('cron(45 0 * * ? *)');
    expect(schedule.Properties?.['ScheduleExpressionTimezone']).toBe('Asia/Shanghai');
    const target = schedule.Properties?.['Target'] as { Arn: unknown; Input: string };
    expect(refOf(target.Arn)).toBe(stateMachine('RegulatoryReportStateMachine')[0]);
    expect(JSON.parse(target.Input)).toEqual({ scheduledTime: '<aws.scheduler.scheduled-time>' });
  });
});

describe('daily break escalation schedule', () => {
  it('invokes the escalation function at 08:30 Beijing time with the scheduled time, through a role that may invoke only it', () => {
    const [, schedule] = byConstructId(resources, 'AWS::Scheduler::Schedule', 'DailyBreakEscalation');
    expect(schedule.Properties?.['ScheduleExpression']).toBe('cron(30 8 * * ? *)');
    expect(schedule.Properties?.['ScheduleExpressionTimezone']).toBe('Asia/Shanghai');
    const target = schedule.Properties?.['Target'] as { Arn: unknown; Input: string; RoleArn: unknown };
    expect(getAttArnOf(target.Arn)).toBe(fn('break-escalation')[0]);
    expect(JSON.parse(target.Input)).toEqual({ executionId: '<aws.scheduler.execution-id>', scheduledTime: '<aws.scheduler.scheduled-time>' });
    const [functionId] = fn('break-escalation');
    const arn = { 'Fn::GetAtt': [functionId, 'Arn'] };
    const role = getAttArnOf(target.RoleArn) ?? '';
    const [queueId] = byConstructId(resources, 'AWS::SQS::Queue', 'ScheduleDeadLetters');
    // It may invoke only the function, and put what it could not invoke in the schedules' dead-letter queue.
    expect(statementsOf(role).map((st) => [st.Action, st.Resource])).toEqual([
      ['lambda:InvokeFunction', [arn, { 'Fn::Join': ['', [arn, ':*']] }]],
      ['sqs:SendMessage', { 'Fn::GetAtt': [queueId, 'Arn'] }],
    ]);
  });
});

describe('dead letters of every asynchronous path (docs/operations.md, Dead letters)', () => {
  const queueArn = (constructId: string) => ({ 'Fn::GetAtt': [byConstructId(resources, 'AWS::SQS::Queue', constructId)[0], 'Arn'] });

  it('has four dead-letter queues, each encrypted, TLS only and keeping its messages 14 days', () => {
    const queues = ofType(resources, 'AWS::SQS::Queue');
    expect(queues.map(([id]) => id.replace(/[0-9A-F]{8}$/, '')).sort()).toEqual(['InvocationDeadLetters', 'PublishDeadLetters', 'ScheduleDeadLetters', 'WebhookDeadLetters']);
    for (const [queueId, queue] of queues) {
      expect(queue.Properties, queueId).toMatchObject({ SqsManagedSseEnabled: true, MessageRetentionPeriod: 1_209_600 });
      const [, policy] = ofType(resources, 'AWS::SQS::QueuePolicy').find(([, p]) => JSON.stringify(p.Properties?.['Queues']).includes(queueId)) ?? [];
      const statements = (policy?.Properties?.['PolicyDocument'] as { Statement: { Effect: string; Condition?: unknown }[] }).Statement;
      expect(statements, queueId).toContainEqual(expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }));
    }
  });

  it('gives every schedule 3 retries within 6 hours, then the schedules\' dead-letter queue', () => {
    const schedules = ofType(resources, 'AWS::Scheduler::Schedule');
    expect(schedules).toHaveLength(7);
    for (const [scheduleId, schedule] of schedules) {
      const target = schedule.Properties?.['Target'] as { RetryPolicy: unknown; DeadLetterConfig: unknown };
      expect(target.RetryPolicy, scheduleId).toEqual({ MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 21_600 });
      expect(target.DeadLetterConfig, scheduleId).toEqual({ Arn: queueArn('ScheduleDeadLetters') });
    }
  });

  it('sends the failed asynchronous invocations of webhook-delivery, break-escalation and settlement-steps, after 2 retries, to a dead-letter queue', () => {
    const configs = ofType(resources, 'AWS::Lambda::EventInvokeConfig').map(([, c]) => [refOf(c.Properties?.['FunctionName']), c.Properties]);
    expect(Object.fromEntries(configs)).toEqual({
      [fn('webhook-delivery')[0]]: { FunctionName: { Ref: fn('webhook-delivery')[0] }, Qualifier: '$LATEST', MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 21_600, DestinationConfig: { OnFailure: { Destination: queueArn('WebhookDeadLetters') } } },
      [fn('break-escalation')[0]]: { FunctionName: { Ref: fn('break-escalation')[0] }, Qualifier: '$LATEST', MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 21_600, DestinationConfig: { OnFailure: { Destination: queueArn('InvocationDeadLetters') } } },
      [fn('settlement-steps')[0]]: { FunctionName: { Ref: fn('settlement-steps')[0] }, Qualifier: '$LATEST', MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 21_600, DestinationConfig: { OnFailure: { Destination: queueArn('InvocationDeadLetters') } } },
    });
  });

  it('invokes asynchronously only the functions that have a dead-letter queue: the targets of the rule and of the schedules', () => {
    const ruleTargets = ofType(resources, 'AWS::Events::Rule').flatMap(([, r]) => (r.Properties?.['Targets'] as { Arn: unknown }[]).map((t) => getAttArnOf(t.Arn)));
    const scheduleTargets = ofType(resources, 'AWS::Scheduler::Schedule').map(([, s]) => getAttArnOf((s.Properties?.['Target'] as { Arn: unknown }).Arn)).filter((id) => ofType(resources, 'AWS::Lambda::Function').some(([fnId]) => fnId === id));
    const withConfig = ofType(resources, 'AWS::Lambda::EventInvokeConfig').map(([, c]) => refOf(c.Properties?.['FunctionName']));
    expect([...new Set([...ruleTargets, ...scheduleTargets])].sort()).toEqual([...withConfig].sort());
  });
});

describe('events from what was committed (docs/adr/0004)', () => {
  it('lets the state table expire idempotency records by their expiresAtEpochSeconds, and nothing of the ledger', () => {
    expect(table('StateTable')[1].Properties?.['TimeToLiveSpecification']).toEqual({ AttributeName: 'expiresAtEpochSeconds', Enabled: true });
    expect(table('LedgerTable')[1].Properties?.['TimeToLiveSpecification']).toBeUndefined();
  });

  it("streams the ledger table's new and old images to the publishing function, only the items of loans' books, retried from the first failure, with a dead-letter queue", () => {
    const [ledgerId, ledger] = table('LedgerTable');
    expect(ledger.Properties?.['StreamSpecification']).toEqual({ StreamViewType: 'NEW_AND_OLD_IMAGES' });
    expect(table('StateTable')[1].Properties?.['StreamSpecification']).toBeUndefined();
    const mappings = ofType(resources, 'AWS::Lambda::EventSourceMapping');
    expect(mappings).toHaveLength(1);
    const props = mappings[0]![1].Properties ?? {};
    expect(refOf(props['FunctionName'])).toBe(fn('repayment-publish')[0]);
    expect(props['EventSourceArn']).toEqual({ 'Fn::GetAtt': [ledgerId, 'StreamArn'] });
    expect(props['FilterCriteria']).toEqual({ Filters: [{ Pattern: JSON.stringify({ dynamodb: { NewImage: { entityType: { S: ['BookedRepayment', 'BookedLoanEvent'] } } } }) }] });
    expect(props).toMatchObject({ StartingPosition: 'TRIM_HORIZON', BisectBatchOnFunctionError: true, FunctionResponseTypes: ['ReportBatchItemFailures'], MaximumRetryAttempts: 20 });
    const [queueId, queue] = byConstructId(resources, 'AWS::SQS::Queue', 'PublishDeadLetters');
    expect(props['DestinationConfig']).toEqual({ OnFailure: { Destination: { 'Fn::GetAtt': [queueId, 'Arn'] } } });
    expect(queue.Properties).toMatchObject({ SqsManagedSseEnabled: true, MessageRetentionPeriod: 1_209_600 });
  });
});

describe('cdk-nag (AWS Solutions)', () => {
  it('has no finding that is neither fixed nor acknowledged', () => {
    const report = new AwsSolutionsChecks().validateScope(app);
    const findings = report.violations.map((v) => `${v.ruleName} at ${v.violatingResources.map((r) => r.constructPath).join(', ')}`);
    expect(findings).toEqual([]);
    // cdk-nag 3 reports through the validation report (which fails synthesis), not annotations;
    // the stack must carry no error or warning annotation of any origin either.
    expect(Annotations.fromStack(stack).findError('*', Match.anyValue())).toEqual([]);
    expect(Annotations.fromStack(stack).findWarning('*', Match.anyValue())).toEqual([]);
  });

  it('acknowledges only named rules on named resources, each with a written reason', () => {
    const allowed = [
      /^AwsSolutions-L1$/,
      /^AwsSolutions-COG[38]$/,
      /^AwsSolutions-APIG4$/,
      // The publishing function's and the webhooks rule's dead-letter queues are themselves dead-letter queues.
      /^AwsSolutions-SQS3$/,
      /^AwsSolutions-IAM5\[Resource::\*\]$/,
      /^AwsSolutions-IAM5\[Resource::<(LedgerTable|StateTable)[0-9A-F]{8}\.Arn>\/index\/\*\]$/,
      /^AwsSolutions-IAM5\[Resource::<(LedgerCheckShard|LedgerCheckReport|ReviewSteps|ReviewAsk|DisbursementSteps|DisbursementBook|RepaymentBatch|RepaymentBook|RepaymentPublish|RiskSteps|SettlementSteps|ProfitSteps|RegulatoryReportSteps|ReconciliationSteps)Function[0-9A-F]{8}\.Arn>:\*\]$/,
      /^AwsSolutions-IAM5\[Resource::<(LedgerCheckShard|LedgerCheckReport|ReviewSteps|ReviewAsk|DisbursementSteps|DisbursementBook|RepaymentBatch|RepaymentBook|RepaymentPublish|RiskSteps|SettlementSteps|ProfitSteps|BreakEscalation)Function[0-9A-F]{8}\.Arn>:\*\]$/,
      // The files and work buckets: their objects are keyed by lender and date; reads and puts of those buckets only.
      /^AwsSolutions-IAM5\[Action::s3:(GetObject|GetBucket|List|Abort)\*\]$/,
      /^AwsSolutions-IAM5\[Resource::<(FilesBucket|WorkBucket)[0-9A-F]{8}\.Arn>\/\*\]$/,
      // One webhook secret per lender, created as lenders register: the stage's name prefix only (docs/webhooks.md).
      /^AwsSolutions-IAM5\[Resource::arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:colend\/[a-z0-9-]+\/webhook\/\*\]$/,
      // The settlement's Distributed Map: the manifest among the work files, and its own child executions.
      /^AwsSolutions-IAM5\[Resource::<WorkBucket[0-9A-F]{8}\.Arn>\/settlement-work\/\*\]$/,
      /^AwsSolutions-IAM5\[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:\{"Fn::Select":\[6,\{"Fn::Split":\[":",\{"Ref":"SettlementStateMachine[0-9A-F]{8}"\}\]\}\]\}(\/\*)?:\*\]$/,
      /^AwsSolutions-S1$/,
      // State machines log failures without execution data by default (borrower data): docs/architecture.md, "Failure paths".
      /^AwsSolutions-SF1$/,
      // The finance console's distribution (docs/console.md) and the CDK's deployment of its files.
      /^AwsSolutions-CFR[1-4]$/,
      /^AwsSolutions-IAM5\[Action::s3:DeleteObject\*\]$/,
      /^AwsSolutions-IAM5\[Resource::<ConsoleBucket[0-9A-F]{8}\.Arn>\/\*\]$/,
      /^AwsSolutions-IAM5\[Resource::arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-<AWS::AccountId>-<AWS::Region>\/\*\]$/,
    ];
    const acknowledgments = app.node.findAll().flatMap((construct) =>
      construct.node.metadata
        .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
        .flatMap((entry) =>
          Object.entries(entry.data as Record<string, string>).map(([id, reason]) => ({ path: construct.node.path, id: id.replace(/^annotation::/i, ''), reason })),
        ),
    );
    expect(acknowledgments.length).toBeGreaterThan(0);
    for (const { path, id, reason } of acknowledgments) {
      expect(path, `${id} acknowledged on the whole app or stack`).not.toMatch(/^(|Colend)$/);
      expect(allowed.some((pattern) => pattern.test(id)), `${id} at ${path}`).toBe(true);
      expect(reason.length, `${id} at ${path}`).toBeGreaterThanOrEqual(40);
    }
  });
});

describe('personal-data keys', () => {
  it('are customer-managed and retained: the encryption key rotated yearly by KMS, the hash key an HMAC_256 key apart from it', () => {
    const [, key] = byConstructId(resources, 'AWS::KMS::Key', 'PersonalDataKey');
    const [, hashKey] = byConstructId(resources, 'AWS::KMS::Key', 'PersonalDataHashKey');
    expect(key.Properties).toMatchObject({ EnableKeyRotation: true });
    expect(key.Properties?.['KeySpec']).toBeUndefined();
    expect(hashKey.Properties).toMatchObject({ KeySpec: 'HMAC_256', KeyUsage: 'GENERATE_VERIFY_MAC' });
    for (const k of [key, hashKey]) expect([k.DeletionPolicy, k.UpdateReplacePolicy]).toEqual(['Retain', 'Retain']);
  });
});
