import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../infra/app.ts';
import { REPOSITORY_ROOT } from '../../infra/constructs/repository.ts';
import { FUNCTIONS, keysOfFunction, servesClients } from '../../infra/stacks/colend-stack.ts';
import { stateFamilies } from '../../shared/adapters/dynamodb/state-keys.ts';
import { patternsOf, type FamilyTable } from '../../shared/adapters/dynamodb/key-families.ts';
import type { FunctionName } from '../../infra/stacks/colend-stack.ts';
import { allowedStatementsOf } from './support/policies.ts';
import type { AllowedStatement } from './support/policies.ts';
import { byConstructId, getAttArnOf, resourcesOf } from './support/template.ts';
import type { Resources } from './support/template.ts';

/**
 * The reviewed allow-list: per function, every statement its role allows (actions, resources by
 * construct id, conditions). A change of any function's permissions, wider or narrower, fails here
 * until the list is changed with it, in the same review.
 */
export const ALLOW_LIST_FILE = 'test/infra/permissions.allow.json';
const allowList = JSON.parse(readFileSync(join(REPOSITORY_ROOT, ALLOW_LIST_FILE), 'utf8')) as Record<string, AllowedStatement[]>;

let resources: Resources;
const names = (Object.keys(FUNCTIONS) as FunctionName[]).sort();

beforeAll(() => {
  const { stack } = buildApp({ bundling: false });
  resources = resourcesOf(Template.fromStack(stack));
}, 120_000);

const synthesized = (name: FunctionName): AllowedStatement[] =>
  allowedStatementsOf(resources, getAttArnOf(byConstructId(resources, 'AWS::Lambda::Function', FUNCTIONS[name].id)[1].Properties?.['Role']) ?? '');

describe('every function allows exactly what the reviewed allow-list says', () => {
  it('lists every function, and no other', () => {
    expect(Object.keys(allowList).sort()).toEqual(names);
  });

  it.each(names)('%s', (name) => {
    expect(synthesized(name)).toEqual(allowList[name]);
  });

  it.each(names)('%s touches a table only on the partition keys of its stores\' families (dynamodb:LeadingKeys on every statement)', (name) => {
    const stores = keysOfFunction(name);
    // A function serving clients also counts their requests at the edge (S44, docs/limits.md).
    const keys = servesClients(name) ? { ...stores, writes: [...stores.writes, stateFamilies.clientRequests] } : stores;
    const onItems = (s: AllowedStatement): boolean => s.resources.some((target) => /^(StateTable|LedgerTable)\.Arn(\/|$)/.test(target));
    for (const { actions, resources: targets, condition } of synthesized(name).filter(onItems)) {
      expect(targets, name).toHaveLength(1);
      const [target = ''] = targets;
      const table: FamilyTable = target.startsWith('StateTable.Arn') ? 'state' : 'ledger';
      const onIndex = target.endsWith('/index/gsi1');
      const patterns = (condition as Record<string, Record<string, string[]>> | undefined)?.['ForAllValues:StringLike']?.['dynamodb:LeadingKeys'];
      expect(condition, `${name} ${actions.join(',')} on ${target}`).toEqual({ 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': patterns } });
      expect(patterns?.length, `${name} on ${target}`).toBeGreaterThan(0);
      // Each pattern is one of the function's own families, for what the statement allows.
      const families = onIndex
        ? keys.queries
        : actions.includes('dynamodb:BatchWriteItem')
          ? (keys.replaces ?? [])
          : actions.some((a) => a === 'dynamodb:PutItem' || a === 'dynamodb:UpdateItem')
            ? keys.writes
            : keys.reads;
      if (actions.includes('dynamodb:BatchWriteItem')) expect(actions, name).toEqual(['dynamodb:BatchWriteItem']);
      expect(patterns?.filter((pattern) => !patternsOf(families, table).includes(pattern)), `${name} ${actions.join(',')} on ${target}`).toEqual([]);
      if (onIndex) expect(actions, name).toEqual(['dynamodb:Query']);
    }
  });

  it('never allows a scan or a delete of a table, a batch write but of a run\'s details, nor any wildcard action but the tracing of X-Ray', () => {
    for (const name of names) {
      for (const { actions, condition } of allowList[name] ?? []) {
        expect(actions.filter((action) => /^dynamodb:(Scan|DeleteItem|\*)$/.test(action)), name).toEqual([]);
        if (actions.includes('dynamodb:BatchWriteItem')) expect(condition, name).toEqual({ 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['DETAIL#*'] } });
        expect(actions.filter((action) => action.includes('*')), name).toEqual([]);
      }
    }
  });
});
