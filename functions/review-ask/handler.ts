import { Logger } from '@aws-lambda-powertools/logger';
import middy from '@middy/core';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SFNClient } from '@aws-sdk/client-sfn';
import { systemClock } from '../../shared/adapters/clock.ts';
import { createDocumentClient, createStores, tablesFromEnv } from '../../shared/adapters/dynamodb/index.ts';
import { withCachedReferences } from '../../shared/adapters/reference-cache.ts';
import { EventBridgeNotifier } from '../../shared/adapters/notifier.ts';
import { StepFunctionsResumer } from '../../shared/adapters/stepfunctions.ts';
import { validate } from '../../shared/contracts/validate.ts';
import { askPartnerInput } from './schema.ts';
import { askPartner } from './use-case.ts';

const logger = new Logger();
const notifier = new EventBridgeNotifier(new EventBridgeClient({}), process.env.EVENT_BUS_NAME ?? 'default', {
  attempts: 3,
  firstDelayMs: 200,
  timeoutMs: 5_000,
  now: systemClock.now,
  log: (message, detail) => logger.warn(message, detail),
});
const deps = { ...withCachedReferences(createStores(createDocumentClient(), tablesFromEnv())), notifier, tasks: new StepFunctionsResumer(new SFNClient({})) };

export const handler = middy<unknown, void>().handler((event) => askPartner(deps, validate(askPartnerInput, event)));
