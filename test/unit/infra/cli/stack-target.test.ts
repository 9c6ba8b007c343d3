import { describe, expect, it } from 'vitest';
import { apiUrlOf, NO_TABLES, tableTarget, type TargetEnvironment } from '../../../../infra/cli/stack-target.ts';
import type { LocalStackState } from '../../../../infra/local/state-file.ts';

const running: LocalStackState = {
  pid: 4242,
  baseUrl: 'http://127.0.0.1:4000',
  dynamodbEndpoint: 'http://127.0.0.1:41234',
  sfnEndpoint: 'http://127.0.0.1:41235',
  eventsEndpoint: 'http://127.0.0.1:41236',
  filesDir: '/tmp/files',
  localToken: 'secret',
  startedAt: '2026-12-07T00:00:00.000Z',
};
const target = (env: NodeJS.ProcessEnv, localStack: LocalStackState | null = null): TargetEnvironment => ({ env, localStack });

describe('where a command reads the tables', () => {
  it('takes --endpoint first, then the running local stack, then AWS in AWS_REGION or AWS_DEFAULT_REGION', () => {
    expect(tableTarget('http://127.0.0.1:8000', target({ AWS_REGION: 'cn-north-1' }, running))).toEqual({ kind: 'endpoint', endpoint: 'http://127.0.0.1:8000', from: 'flag' });
    expect(tableTarget(undefined, target({ AWS_REGION: 'cn-north-1' }, running))).toEqual({ kind: 'endpoint', endpoint: 'http://127.0.0.1:41234', from: 'local stack' });
    expect(tableTarget(undefined, target({ AWS_REGION: 'cn-north-1' }))).toEqual({ kind: 'aws', region: 'cn-north-1' });
    expect(tableTarget(undefined, target({ AWS_DEFAULT_REGION: 'cn-northwest-1' }))).toEqual({ kind: 'aws', region: 'cn-northwest-1' });
  });

  it('names the flag and the variable when it has neither a stack nor a region', () => {
    const answer = tableTarget(undefined, target({ AWS_REGION: '' }));
    expect(answer).toBe(NO_TABLES);
    expect(NO_TABLES).toContain('--endpoint <DynamoDB endpoint>');
    expect(NO_TABLES).toContain('AWS_REGION');
    expect(NO_TABLES).not.toContain('Region is missing');
  });
});

describe('which API a command calls', () => {
  it('takes --api, then COLEND_API_URL, then the running local stack; none otherwise', () => {
    expect(apiUrlOf('https://api.example.com', target({ COLEND_API_URL: 'http://other' }, running))).toBe('https://api.example.com');
    expect(apiUrlOf(undefined, target({ COLEND_API_URL: 'http://other' }, running))).toBe('http://other');
    expect(apiUrlOf(undefined, target({ COLEND_API_URL: '' }, running))).toBe('http://127.0.0.1:4000');
    expect(apiUrlOf(undefined, target({}))).toBeNull();
  });
});
