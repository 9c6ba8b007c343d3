import { describe, expect, it } from 'vitest';
import { matchesPattern, streamSourcesFromTemplate } from '../../../../infra/local/streams.ts';
import { TemplateResolver, type CfnTemplate } from '../../../../infra/local/template.ts';

const PATTERN = { dynamodb: { NewImage: { entityType: { S: ['BookedRepayment', 'BookedLoanEvent'] } } } };

describe('the stream event sources of the template', () => {
  it("reads each mapping on a table's stream: its function, table, batch, retries, failure reporting and filters", () => {
    const template: CfnTemplate = {
      Resources: {
        Mapping: {
          Type: 'AWS::Lambda::EventSourceMapping',
          Properties: {
            FunctionName: { Ref: 'PublishFn' },
            EventSourceArn: { 'Fn::GetAtt': ['LedgerTable', 'StreamArn'] },
            BatchSize: 100,
            MaximumRetryAttempts: 20,
            FunctionResponseTypes: ['ReportBatchItemFailures'],
            FilterCriteria: { Filters: [{ Pattern: JSON.stringify(PATTERN) }] },
          },
        },
        QueueMapping: { Type: 'AWS::Lambda::EventSourceMapping', Properties: { FunctionName: { Ref: 'OtherFn' }, EventSourceArn: { 'Fn::GetAtt': ['Queue', 'Arn'] } } },
      },
    };
    expect(streamSourcesFromTemplate(new TemplateResolver(template))).toEqual([
      { logicalId: 'Mapping', functionLogicalId: 'PublishFn', tableLogicalId: 'LedgerTable', batchSize: 100, retryAttempts: 20, reportBatchItemFailures: true, patterns: [PATTERN] },
    ]);
  });

  it('matches a record against a pattern as Lambda filters do: every key, one of the listed values, nested', () => {
    const record = (entityType: string) => ({ eventName: 'INSERT', dynamodb: { NewImage: { entityType: { S: entityType }, pk: { S: 'LOAN#1' } } } });
    expect(matchesPattern(record('BookedRepayment'), PATTERN)).toBe(true);
    expect(matchesPattern(record('BookedLoanEvent'), PATTERN)).toBe(true);
    expect(matchesPattern(record('LoanHead'), PATTERN)).toBe(false);
    expect(matchesPattern({ eventName: 'REMOVE', dynamodb: {} }, PATTERN)).toBe(false);
  });
});
