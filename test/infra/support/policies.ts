import { getAttArnOf, ofType, refOf } from './template.ts';
import type { Resources } from './template.ts';

/** One allowed statement, in words a reviewer reads: actions, resources by construct id, and any condition. */
export interface AllowedStatement {
  readonly actions: readonly string[];
  readonly resources: readonly string[];
  readonly condition?: unknown;
}

/** A logical id without the hash the CDK adds (`LedgerTable2B3C4D5E` → `LedgerTable`). */
const constructIdOf = (logicalId: string): string => logicalId.replace(/[0-9A-F]{8}$/, '');

/** A resource of a policy as text: `LedgerTable.Arn/index/*`, `JointReviewStateMachine`, `arn:...`. */
export function resourceText(value: unknown): string {
  if (typeof value === 'string') return value;
  const getAtt = getAttArnOf(value);
  if (getAtt !== undefined) return `${constructIdOf(getAtt)}.Arn`;
  const ref = refOf(value);
  if (ref !== undefined) return ref.startsWith('AWS::') ? `{${ref}}` : constructIdOf(ref);
  const join = (value as { 'Fn::Join'?: [string, unknown[]] } | null)?.['Fn::Join'];
  if (join !== undefined) return join[1].map(resourceText).join(join[0]);
  const other = value as Record<string, unknown>;
  const [fn] = Object.keys(other);
  if (fn === 'Fn::GetAtt') {
    const [id, attribute] = other[fn] as [string, string];
    return `${constructIdOf(id)}.${attribute}`;
  }
  return JSON.stringify(value);
}

/** Every Allow statement of the policies attached to a role, normalized and sorted. */
export function allowedStatementsOf(resources: Resources, roleLogicalId: string): AllowedStatement[] {
  return ofType(resources, 'AWS::IAM::Policy')
    .filter(([, policy]) => (policy.Properties?.['Roles'] as unknown[]).some((role) => refOf(role) === roleLogicalId))
    .flatMap(([, policy]) => (policy.Properties?.['PolicyDocument'] as { Statement: Record<string, unknown>[] }).Statement)
    .filter((statement) => statement['Effect'] === 'Allow')
    .map((statement) => {
      const actions = Array.isArray(statement['Action']) ? (statement['Action'] as string[]) : [statement['Action'] as string];
      const targets = Array.isArray(statement['Resource']) ? (statement['Resource'] as unknown[]) : [statement['Resource']];
      return {
        actions: [...actions].sort(),
        resources: targets.map(resourceText).sort(),
        ...(statement['Condition'] === undefined ? {} : { condition: statement['Condition'] }),
      };
    })
    .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
}
