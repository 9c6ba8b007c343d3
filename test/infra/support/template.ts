import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Template } from 'aws-cdk-lib/assertions';
import { REPOSITORY_ROOT } from '../../../infra/constructs/repository.ts';

export interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly Metadata?: Record<string, unknown>;
  readonly DependsOn?: string[];
  readonly DeletionPolicy?: string;
  readonly UpdateReplacePolicy?: string;
}

export type Resources = Readonly<Record<string, CfnResource>>;

export function resourcesOf(template: Template): Resources {
  return (template.toJSON() as { Resources: Resources }).Resources;
}

export function ofType(resources: Resources, type: string): [string, CfnResource][] {
  return Object.entries(resources).filter(([, resource]) => resource.Type === type);
}

/** The one resource of a type whose logical id starts with the construct id. */
export function byConstructId(resources: Resources, type: string, constructId: string): [string, CfnResource] {
  const found = ofType(resources, type).filter(([logicalId]) => new RegExp(`^${constructId}[0-9A-F]{8}$`).test(logicalId));
  if (found.length !== 1 || found[0] === undefined) {
    throw new Error(`Expected one ${type} with construct id ${constructId}, found ${found.length}`);
  }
  return found[0];
}

export function entryOf(fn: CfnResource): string {
  const entry = fn.Metadata?.['colend:entry'];
  if (typeof entry !== 'string') throw new Error('Function without colend:entry metadata');
  return entry;
}

export function repositoryFileExists(relativePath: string): boolean {
  return existsSync(join(REPOSITORY_ROOT, relativePath));
}

/** `{ "Fn::GetAtt": [id, "Arn"] }` → id, otherwise undefined. */
export function getAttArnOf(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const getAtt = (value as Record<string, unknown>)['Fn::GetAtt'];
  if (!Array.isArray(getAtt) || getAtt[1] !== 'Arn' || typeof getAtt[0] !== 'string') return undefined;
  return getAtt[0];
}

export function refOf(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const ref = (value as Record<string, unknown>)['Ref'];
  return typeof ref === 'string' ? ref : undefined;
}

/**
 * A state machine definition as CloudFormation renders it (`Fn::Join` of strings, `Fn::GetAtt`s
 * and `Ref`s), parsed with each GetAtt replaced by the marker `${LogicalId.Arn}` and each Ref by
 * `${LogicalId}` (or `${AWS::Partition}` for a pseudo parameter).
 */
export function parseDefinition(definitionString: unknown): Record<string, unknown> {
  const join = (definitionString as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
  if (join === undefined) return JSON.parse(definitionString as string) as Record<string, unknown>;
  const text = join[1]
    .map((part) => {
      if (typeof part === 'string') return part;
      const logicalId = getAttArnOf(part);
      if (logicalId !== undefined) return `\${${logicalId}.Arn}`;
      const ref = refOf(part);
      if (ref !== undefined) return `\${${ref}}`;
      throw new Error(`Unexpected part in definition: ${JSON.stringify(part)}`);
    })
    .join(join[0]);
  return JSON.parse(text) as Record<string, unknown>;
}

/** The logical id named by a `${LogicalId.Arn}` marker, or undefined. */
export function arnMarkerOf(value: unknown): string | undefined {
  return typeof value === 'string' ? /^\$\{([A-Za-z0-9]+)\.Arn\}$/.exec(value)?.[1] : undefined;
}
