import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import middy from '@middy/core';
import { putEvent } from '../../shared/adapters/notifier.ts';
import { validate } from '../../shared/http/api.ts';
import { publishInput } from './schema.ts';
import { publishChange } from './use-case.ts';

const events = new EventBridgeClient({});
const busName = process.env.EVENT_BUS_NAME ?? 'default';
const deps = { publish: (detailType: string, detail: string) => putEvent(events, busName, detailType, detail) };

export const handler = middy<unknown, unknown>().handler((event) => publishChange(deps, validate(publishInput, event)));
