import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SFNClient } from '@aws-sdk/client-sfn';
import { createDocumentClient, createStores, tablesFromEnv } from '../../shared/adapters/dynamodb/index.ts';
import { withCachedReferences } from '../../shared/adapters/reference-cache.ts';
import { EventBridgeNotifier } from '../../shared/adapters/notifier.ts';
import { StepFunctionsResumer } from '../../shared/adapters/stepfunctions.ts';
import { validate } from '../../shared/contracts/validate.ts';
import { askPartnerInput } from './schema.ts';
import { askPartner } from './use-case.ts';
import { STORES } from './stores.ts';
import { eventHandler } from '../../shared/adapters/telemetry/index.ts';

const notifier = new EventBridgeNotifier(new EventBridgeClient({}), process.env.EVENT_BUS_NAME ?? 'default');
const deps = { ...withCachedReferences(createStores(createDocumentClient(), tablesFromEnv(), STORES)), notifier, tasks: new StepFunctionsResumer(new SFNClient({})) };

export const handler = eventHandler<unknown, void>((event) => askPartner(deps, validate(askPartnerInput, event)));
