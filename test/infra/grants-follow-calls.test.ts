import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../infra/app.ts';
import { FUNCTIONS } from '../../infra/stacks/colend-stack.ts';
import type { FunctionName } from '../../infra/stacks/colend-stack.ts';
import { callsByFunction } from './support/sdk-calls.ts';
import type { FunctionCalls } from './support/sdk-calls.ts';
import { getAttArnOf, ofType, refOf, resourcesOf } from './support/template.ts';
import type { Resources } from './support/template.ts';

/** The IAM action each SDK command needs (a transaction of Puts and Updates: PutItem and UpdateItem, both granted with writing). */
const ACTION_OF_COMMAND: Readonly<Record<string, string>> = {
  Get: 'dynamodb:GetItem',
  BatchGet: 'dynamodb:BatchGetItem',
  Query: 'dynamodb:Query',
  Put: 'dynamodb:PutItem',
  Update: 'dynamodb:UpdateItem',
  TransactWrite: 'dynamodb:PutItem',
  SendTaskSuccess: 'states:SendTaskSuccess',
  SendTaskFailure: 'states:SendTaskFailure',
  StartExecution: 'states:StartExecution',
  StartSyncExecution: 'states:StartSyncExecution',
  PutEvents: 'events:PutEvents',
  GetObject: 's3:GetObject',
  ListObjectsV2: 's3:ListBucket',
  PutObject: 's3:PutObject',
  CreateMultipartUpload: 's3:PutObject',
  UploadPart: 's3:PutObject',
  CompleteMultipartUpload: 's3:PutObject',
  AbortMultipartUpload: 's3:AbortMultipartUpload',
  GetSecretValue: 'secretsmanager:GetSecretValue',
  CreateSecret: 'secretsmanager:CreateSecret',
  PutSecretValue: 'secretsmanager:PutSecretValue',
};

/**
 * Calls the reading finds that the function never makes, each checked by hand. The reading follows
 * a method by its name; where two ports share a name, it sees both.
 */
const READ_BUT_NOT_CALLED: Partial<Record<FunctionName, { readonly actions: readonly string[]; readonly why: string }>> = {
  settlements: { actions: ['s3:PutObject'], why: "its only put is the idempotency record's (deps.idempotency.put); it reads statements and writes no file" },
  audit: { actions: ['dynamodb:PutItem'], why: 'it only lists records (deps.audit.page); the reading sees the audit store\'s append beside it' },
  openapi: { actions: ['dynamodb:UpdateItem'], why: "it serves only the public document: no caller, so no request is counted (docs/limits.md); the reading sees the edge's request counter" },
};

/** The services whose grants must be exactly what the code calls: a grant nothing calls is a finding. */
const EXACT_SERVICES = ['states:', 'events:', 's3:', 'secretsmanager:'];

let resources: Resources;
let calls: Map<string, FunctionCalls>;
const names = Object.keys(FUNCTIONS) as FunctionName[];

beforeAll(() => {
  const { stack } = buildApp({ bundling: false });
  resources = resourcesOf(Template.fromStack(stack));
  calls = callsByFunction(names);
}, 120_000);

/** Every action allowed to a function's role, whatever the resource. */
function allowedActions(name: FunctionName): string[] {
  const [functionId] = ofType(resources, 'AWS::Lambda::Function').find(([logicalId]) => new RegExp(`^${FUNCTIONS[name].id}[0-9A-F]{8}$`).test(logicalId)) ?? [];
  const roleId = getAttArnOf(resources[functionId ?? '']?.Properties?.['Role']);
  return ofType(resources, 'AWS::IAM::Policy')
    .filter(([, policy]) => (policy.Properties?.['Roles'] as unknown[]).some((role) => refOf(role) === roleId))
    .flatMap(([, policy]) => (policy.Properties?.['PolicyDocument'] as { Statement: { Effect: string; Action: string | string[] }[] }).Statement)
    .filter((statement) => statement.Effect === 'Allow')
    .flatMap((statement) => (Array.isArray(statement.Action) ? statement.Action : [statement.Action]));
}

const matches = (granted: string, needed: string): boolean => new RegExp(`^${granted.replace(/[.*+?^${}()|[\]\\]/g, (c) => (c === '*' ? '.*' : `\\${c}`))}$`).test(needed);

function neededActions(name: FunctionName): string[] {
  const commands = [...(calls.get(name)?.commands ?? [])];
  const notCalled = READ_BUT_NOT_CALLED[name]?.actions ?? [];
  return [...new Set(commands.map((command) => ACTION_OF_COMMAND[command]).filter((action): action is string => action !== undefined && !notCalled.includes(action)))].sort();
}

describe('grants follow the calls (a static reading of each function)', () => {
  it('reads the calls of the review functions as they are written', () => {
    expect(neededActions('review-ask')).toEqual(['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:UpdateItem', 'events:PutEvents', 'states:SendTaskSuccess']);
    expect(neededActions('applications').filter((action) => !action.startsWith('dynamodb:'))).toEqual(['states:SendTaskFailure', 'states:SendTaskSuccess', 'states:StartExecution']);
    expect(neededActions('openapi')).toEqual([]);
    // Reads, and the edge's count of its callers' requests (docs/limits.md).
    expect(neededActions('positions')).toEqual(['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:UpdateItem']);
    expect(neededActions('webhook-delivery').filter((action) => action.startsWith('secretsmanager:'))).toEqual(['secretsmanager:GetSecretValue']);
    expect(neededActions('lenders').filter((action) => action.startsWith('secretsmanager:'))).toEqual(['secretsmanager:CreateSecret', 'secretsmanager:GetSecretValue', 'secretsmanager:PutSecretValue']);
  });

  it('keeps no exception the reading no longer needs', () => {
    for (const [name, { actions }] of Object.entries(READ_BUT_NOT_CALLED) as [FunctionName, { readonly actions: readonly string[] }][]) {
      const read = [...(calls.get(name)?.commands ?? [])].map((command) => ACTION_OF_COMMAND[command]);
      for (const action of actions) expect(read, `${name} ${action}`).toContain(action);
    }
  });

  it.each(names)('%s is granted every DynamoDB, Step Functions, EventBridge, S3 and Secrets Manager action its code calls', (name) => {
    const allowed = allowedActions(name);
    const missing = neededActions(name).filter((needed) => !allowed.some((granted) => matches(granted, needed)));
    expect(missing).toEqual([]);
  });

  it.each(names)('%s is granted no Step Functions, EventBridge, S3 or Secrets Manager action its code never calls', (name) => {
    const needed = neededActions(name);
    const unused = allowedActions(name).filter((granted) => EXACT_SERVICES.some((service) => granted.startsWith(service)) && !needed.some((action) => matches(granted, action)));
    expect(unused).toEqual([]);
  });
});
