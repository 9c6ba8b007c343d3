import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../infra/app.ts';
import { FUNCTIONS, type FunctionName } from '../../infra/stacks/colend-stack.ts';
import { byConstructId, ofType, refOf, resourcesOf } from './support/template.ts';
import type { CfnResource, Resources } from './support/template.ts';

/**
 * The two buckets (docs/files.md, The buckets): the files bucket keeps every version of what is
 * settled and uploaded under object lock; the work bucket holds what a run makes and makes again,
 * without a lock, so that no rewrite is a version kept for years.
 */

let resources: Resources;

beforeAll(() => {
  resources = resourcesOf(Template.fromStack(buildApp({ bundling: false }).stack));
}, 120_000);

const props = (resource: CfnResource): Record<string, unknown> => resource.Properties ?? {};
const FIVE_YEARS_DAYS = 5 * 365;

/** The bucket policy statements of a bucket. */
function policyOf(bucketId: string): { Effect: string; Action: unknown; Condition?: Record<string, unknown> }[] {
  const [, policy] = ofType(resources, 'AWS::S3::BucketPolicy').find(([, p]) => refOf(props(p)['Bucket']) === bucketId) ?? [];
  return (props(policy as CfnResource)['PolicyDocument'] as { Statement: { Effect: string; Action: unknown; Condition?: Record<string, unknown> }[] }).Statement;
}

/** The functions given the work bucket's name. */
function functionsWith(variable: string): FunctionName[] {
  return (Object.keys(FUNCTIONS) as FunctionName[]).filter((name) => {
    const [, fn] = byConstructId(resources, 'AWS::Lambda::Function', FUNCTIONS[name].id);
    return (props(fn)['Environment'] as { Variables: Record<string, unknown> } | undefined)?.Variables[variable] !== undefined;
  });
}

describe('the files bucket', () => {
  it('is versioned, with object lock: each version kept 5 years in governance mode from its write', () => {
    const [, bucket] = byConstructId(resources, 'AWS::S3::Bucket', 'FilesBucket');
    expect(props(bucket)['VersioningConfiguration']).toEqual({ Status: 'Enabled' });
    expect(props(bucket)['ObjectLockEnabled']).toBe(true);
    expect(props(bucket)['ObjectLockConfiguration']).toEqual({ ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Days: FIVE_YEARS_DAYS } } });
    // Nothing expires what the lock keeps.
    expect(props(bucket)['LifecycleConfiguration']).toBeUndefined();
  });

  it('is retained, closed to the public and reached over TLS only', () => {
    const [id, bucket] = byConstructId(resources, 'AWS::S3::Bucket', 'FilesBucket');
    expect([bucket.DeletionPolicy, bucket.UpdateReplacePolicy]).toEqual(['Retain', 'Retain']);
    expect(props(bucket)['PublicAccessBlockConfiguration']).toEqual({ BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true });
    expect(policyOf(id)).toContainEqual(expect.objectContaining({ Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }));
  });
});

describe('the work bucket', () => {
  it('has no object lock and no versions: a re-run overwrites its work files in place', () => {
    const [, bucket] = byConstructId(resources, 'AWS::S3::Bucket', 'WorkBucket');
    expect(props(bucket)['ObjectLockEnabled']).toBeUndefined();
    expect(props(bucket)['ObjectLockConfiguration']).toBeUndefined();
    expect(props(bucket)['VersioningConfiguration']).toBeUndefined();
    expect(props(bucket)['LifecycleConfiguration']).toEqual({ Rules: [{ Id: 'AbortIncompleteUploads', AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 }, Status: 'Enabled' }] });
  });

  it('is retained (a kept loan master is what a re-run reads), closed to the public and reached over TLS only', () => {
    const [id, bucket] = byConstructId(resources, 'AWS::S3::Bucket', 'WorkBucket');
    expect([bucket.DeletionPolicy, bucket.UpdateReplacePolicy]).toEqual(['Retain', 'Retain']);
    expect(props(bucket)['PublicAccessBlockConfiguration']).toEqual({ BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true });
    expect(policyOf(id)).toContainEqual(expect.objectContaining({ Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }));
  });

  it('is named only to the functions that make work files: the settlement and reconciliation steps', () => {
    expect(functionsWith('WORK_BUCKET').sort()).toEqual(['reconciliation-steps', 'settlement-steps']);
    expect(functionsWith('FILES_BUCKET').sort()).toEqual(['reconciliation-steps', 'reconciliations', 'settlement-steps', 'settlements']);
  });
});

describe("the reconciliation's disk", () => {
  it('gives the function that spools a counterpart file 2 GiB of /tmp, and every other function Lambda’s 512 MiB', () => {
    const storage = (Object.keys(FUNCTIONS) as FunctionName[]).flatMap((name) => {
      const [, fn] = byConstructId(resources, 'AWS::Lambda::Function', FUNCTIONS[name].id);
      const size = (props(fn)['EphemeralStorage'] as { Size: number } | undefined)?.Size;
      return size === undefined ? [] : [[name, size]];
    });
    expect(storage).toEqual([['reconciliation-steps', 2048]]);
  });
});
