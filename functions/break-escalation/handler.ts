import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { systemClock } from '../../shared/adapters/clock.ts';
import { auditStoreFromEnv, createDocumentClient, createStores, tablesFromEnv } from '../../shared/adapters/dynamodb/index.ts';
import { putEvent } from '../../shared/adapters/notifier.ts';
import { validate } from '../../shared/contracts/validate.ts';
import { settingsReader } from '../../shared/use-cases/reconciliation.ts';
import { escalationInput } from './schema.ts';
import { runEscalation } from './use-case.ts';
import { STORES } from './stores.ts';
import { eventHandler, logger, metrics } from '../../shared/adapters/telemetry/index.ts';

const events = new EventBridgeClient({});
const busName = process.env.EVENT_BUS_NAME ?? 'default';
const stores = createStores(createDocumentClient(), tablesFromEnv(), STORES);
const deps = {
  breaks: stores.breaks,
  settings: settingsReader(stores),
  publish: (detailType: string, detail: string) => putEvent(events, busName, detailType, detail),
  clock: systemClock,
  metrics,
  audit: auditStoreFromEnv(),
  auditLog: logger,
};

/** Invoked by the daily schedule (EventBridge Scheduler) with the time it fired. */
export const handler = eventHandler<unknown, unknown>((event) => runEscalation(deps, validate(escalationInput, event)));
