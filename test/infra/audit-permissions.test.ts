import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../infra/app.ts';
import { FUNCTIONS, servesWrites, type FunctionName } from '../../infra/stacks/colend-stack.ts';
import { resourceText } from './support/policies.ts';
import { byConstructId, getAttArnOf, ofType, refOf, resourcesOf } from './support/template.ts';
import type { Resources } from './support/template.ts';

/**
 * The audit trail is append-only in IAM (docs/audit.md, Permissions): every application role, a
 * role Lambda assumes, is explicitly denied changing or removing an audit item, and no policy of
 * the stack allows it to anyone.
 */
type Statement = { Effect: string; Action: string | string[]; Resource: unknown };

let resources: Resources;
let auditTableId: string;
const names = (Object.keys(FUNCTIONS) as FunctionName[]).sort();
const listOf = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);

beforeAll(() => {
  const { stack } = buildApp({ bundling: false });
  resources = resourcesOf(Template.fromStack(stack));
  auditTableId = byConstructId(resources, 'AWS::DynamoDB::Table', 'AuditTable')[0];
}, 120_000);

function statementsOf(roleId: string): Statement[] {
  return ofType(resources, 'AWS::IAM::Policy')
    .filter(([, policy]) => (policy.Properties?.['Roles'] as unknown[]).some((role) => refOf(role) === roleId))
    .flatMap(([, policy]) => (policy.Properties?.['PolicyDocument'] as { Statement: Statement[] }).Statement);
}

const onAuditTable = (statement: Statement): string[] => listOf(statement.Resource).map(resourceText).filter((r) => r.startsWith('AuditTable.Arn'));

/** The roles of Colend's own functions (every function with a handler module, the token trigger too). */
const applicationRoles = (): string[] =>
  ofType(resources, 'AWS::Lambda::Function')
    .filter(([, fn]) => fn.Metadata?.['colend:entry'] !== undefined)
    .map(([, fn]) => getAttArnOf(fn.Properties?.['Role']) ?? '');

describe('the audit table is append-only for every application role', () => {
  it('is retained, with point-in-time recovery and deletion protection', () => {
    const [, table] = byConstructId(resources, 'AWS::DynamoDB::Table', 'AuditTable');
    expect(table.DeletionPolicy).toBe('Retain');
    expect(table.Properties?.['PointInTimeRecoverySpecification']).toEqual({ PointInTimeRecoveryEnabled: true });
    expect(table.Properties?.['DeletionProtectionEnabled']).toBe(true);
  });

  it('finds a role of its own for every function', () => {
    const roles = applicationRoles();
    expect(new Set(roles).size).toBe(names.length + 1);
    for (const role of roles) expect(resources[role]?.Type).toBe('AWS::IAM::Role');
  });


  it('denies UpdateItem, DeleteItem and BatchWriteItem on the table and its indexes to every application role', () => {
    for (const roleId of applicationRoles()) {
      const denies = statementsOf(roleId).filter((s) => s.Effect === 'Deny' && onAuditTable(s).length > 0);
      expect(denies.map((s) => ({ actions: listOf(s.Action).sort(), resources: onAuditTable(s).sort() })), roleId).toEqual([
        { actions: ['dynamodb:BatchWriteItem', 'dynamodb:DeleteItem', 'dynamodb:UpdateItem'], resources: ['AuditTable.Arn', 'AuditTable.Arn/index/*'] },
      ]);
    }
  });

  it('allows no role of the CDK\'s own functions anything on the table', () => {
    const ours = new Set(applicationRoles());
    const others = ofType(resources, 'AWS::IAM::Role').filter(([id]) => !ours.has(id));
    expect(others.length).toBeGreaterThan(0);
    for (const [roleId] of others) expect(statementsOf(roleId).filter((s) => onAuditTable(s).length > 0), roleId).toEqual([]);
  });

  it('allows no role to change or remove an audit item, nor any action by wildcard', () => {
    for (const [, policy] of ofType(resources, 'AWS::IAM::Policy')) {
      for (const statement of (policy.Properties?.['PolicyDocument'] as { Statement: Statement[] }).Statement) {
        if (statement.Effect !== 'Allow' || onAuditTable(statement).length === 0) continue;
        expect(listOf(statement.Action).filter((a) => /^dynamodb:(UpdateItem|DeleteItem|BatchWriteItem|Scan|\*)$/.test(a) || a.endsWith('*'))).toEqual([]);
      }
    }
  });

  it.each(names)('%s may append only when it serves a write route or audits its steps, and read only when it lists the trail', (name) => {
    const roleId = getAttArnOf(byConstructId(resources, 'AWS::Lambda::Function', FUNCTIONS[name].id)[1].Properties?.['Role']) ?? '';
    const allowed = statementsOf(roleId)
      .filter((s) => s.Effect === 'Allow' && onAuditTable(s).length > 0)
      .flatMap((s) => listOf(s.Action))
      .sort();
    const access = servesWrites(name) ? 'append' : FUNCTIONS[name].audit;
    expect(allowed).toEqual(access === 'append' ? ['dynamodb:PutItem', 'dynamodb:Query'] : access === 'read' ? ['dynamodb:BatchGetItem', 'dynamodb:Query'] : []);
  });

  it('names the table to every function', () => {
    for (const name of names) {
      const variables = (byConstructId(resources, 'AWS::Lambda::Function', FUNCTIONS[name].id)[1].Properties?.['Environment'] as { Variables: Record<string, unknown> }).Variables;
      expect(refOf(variables['AUDIT_TABLE']), name).toBe(auditTableId);
    }
  });
});
