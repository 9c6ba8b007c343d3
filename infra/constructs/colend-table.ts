import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, ProjectionType, Table, type StreamViewType } from 'aws-cdk-lib/aws-dynamodb';
import { tableEncryptionSettings } from './data-key.ts';
import type { Construct } from 'constructs';

export const GSI1 = { indexName: 'gsi1', partitionKey: 'gsi1pk', sortKey: 'gsi1sk' } as const;

/**
 * Our defaults for a table (docs/architecture.md, Tables): string keys `pk`/`sk`, one general
 * index `gsi1`, on-demand, point-in-time recovery, deletion protection, AWS-managed encryption (the stage's customer-managed key when it has one),
 * and retained when the stack is deleted. No physical name. A stream when asked for, and a
 * time-to-live attribute when the table holds items that expire.
 */
export class ColendTable extends Table {
  constructor(scope: Construct, id: string, options: { readonly stream?: StreamViewType; readonly timeToLiveAttribute?: string } = {}) {
    super(scope, id, {
      ...(options.stream === undefined ? {} : { stream: options.stream }),
      ...(options.timeToLiveAttribute === undefined ? {} : { timeToLiveAttribute: options.timeToLiveAttribute }),
      partitionKey: { name: 'pk', type: AttributeType.STRING },
      sortKey: { name: 'sk', type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: true,
      ...tableEncryptionSettings(scope),
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.addGlobalSecondaryIndex({
      indexName: GSI1.indexName,
      partitionKey: { name: GSI1.partitionKey, type: AttributeType.STRING },
      sortKey: { name: GSI1.sortKey, type: AttributeType.STRING },
      projectionType: ProjectionType.ALL,
    });
  }
}
