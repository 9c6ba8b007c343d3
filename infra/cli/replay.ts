/**
 * `colend replay <queue>`: reads the dead letters of a queue and redrives each to its original
 * target, deleting a message only once its redrive succeeded (docs/operations.md, Dead letters).
 * Every target is idempotent by its business key (a stream record's publish by the entry that
 * booked it, a webhook delivery by its delivery id, a scheduled run by its date), so a redrive
 * that ran and lost its delete is harmless to run again. A message is read as AWS writes it:
 * - an asynchronous invocation's failure record (`requestContext.functionArn`, `requestPayload`):
 *   the function is invoked again with the same payload;
 * - a stream mapping's failure record (`DDBStreamBatchInfo`): the batch's records are read from
 *   the stream, by shard and sequence numbers, and handed to the function as Lambda hands them;
 * - an EventBridge rule's or a schedule's dead letter (attribute `TARGET_ARN`): a function is
 *   invoked with the body, a state machine started with it, named after the message so that a
 *   second start of the same message is refused.
 */

export interface DeadLetter {
  readonly messageId: string;
  /** What deletes this receipt of the message (SQS's receipt handle; the message id locally). */
  readonly receipt: string;
  readonly body: string;
  readonly attributes: Readonly<Record<string, string>>;
}

/** A dead-letter queue: SQS in AWS, the local stack's store locally. */
export interface DeadLetterQueue {
  readonly name: string;
  /** Up to `max` messages, each kept from other readers until deleted or for a while. */
  receive(max: number, options: { readonly peek: boolean }): Promise<DeadLetter[]>;
  delete(letter: DeadLetter): Promise<void>;
}

/** A stream record as Lambda hands it to a function. */
export interface StreamRecordRange {
  readonly streamArn: string;
  readonly shardId: string;
  readonly startSequenceNumber: string;
  readonly endSequenceNumber: string;
}

/** The original targets: Lambda, Step Functions and the table's stream. */
export interface RedriveTargets {
  /** Invokes and waits; throws when the function failed (its error named). */
  invoke(functionArn: string, payload: unknown): Promise<unknown>;
  /** Starts an execution by name; 'already started' when that name ran before. */
  startExecution(stateMachineArn: string, input: string, name: string): Promise<'started' | 'already started'>;
  /** The records of a stream range, oldest first, as Lambda hands them to a function. */
  streamRecords(range: StreamRecordRange): Promise<unknown[]>;
}

export type Redrive =
  | { readonly kind: 'invoke'; readonly functionArn: string; readonly payload: unknown; readonly what: string }
  | { readonly kind: 'stream'; readonly functionArn: string; readonly range: StreamRecordRange; readonly what: string }
  | { readonly kind: 'start'; readonly stateMachineArn: string; readonly input: string; readonly name: string; readonly what: string };

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const text = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);

/** The function's name in an ARN (any qualifier), for the lines printed. */
function functionName(arn: string): string {
  return /:function:([^:]+)/.exec(arn)?.[1] ?? arn;
}

/** What a payload is, in a few words: an event's type and id, a scheduled time. */
function describe(payload: unknown): string {
  if (!isRecord(payload)) return 'payload';
  const detailType = text(payload['detail-type']);
  if (detailType !== undefined) {
    const detail = isRecord(payload.detail) ? payload.detail : {};
    const key = [detail.applicationId, detail.lenderId, detail.round].filter((part) => part !== undefined).join(':');
    return `${detailType}${key !== '' ? ` ${key}` : ''} (event ${text(payload.id) ?? '?'})`;
  }
  const scheduled = text(payload.scheduledTime);
  if (scheduled !== undefined) return `scheduled run of ${scheduled}${text(payload.step) !== undefined ? ` (${String(payload.step)})` : ''}`;
  return 'payload';
}

/**
 * An execution name from the message id: at most 80 characters of letters, digits, `-` and `_`,
 * the same for every receipt of the message.
 */
export function executionNameOf(messageId: string): string {
  return `replay-${messageId.replace(/[^A-Za-z0-9_-]/g, '-')}`.slice(0, 80);
}

/** How a message is redriven, or why it cannot be. */
export function redriveOf(letter: DeadLetter): Redrive | { readonly problem: string } {
  let body: unknown;
  try {
    body = JSON.parse(letter.body);
  } catch {
    return { problem: 'its body is not JSON' };
  }
  const targetArn = text(letter.attributes.TARGET_ARN);
  if (targetArn !== undefined) {
    if (/^arn:aws[\w-]*:lambda:/.test(targetArn)) return { kind: 'invoke', functionArn: targetArn, payload: body, what: `${describe(body)} → ${functionName(targetArn)}` };
    if (/^arn:aws[\w-]*:states:[^:]*:[^:]*:stateMachine:/.test(targetArn)) {
      return { kind: 'start', stateMachineArn: targetArn, input: letter.body, name: executionNameOf(letter.messageId), what: `${describe(body)} → ${targetArn.split(':').pop() ?? targetArn}` };
    }
    return { problem: `its target ${targetArn} is neither a function nor a state machine` };
  }
  if (!isRecord(body)) return { problem: 'its body is not an object' };
  const context = isRecord(body.requestContext) ? body.requestContext : {};
  const functionArn = text(context.functionArn);
  const batch = body.DDBStreamBatchInfo;
  if (functionArn !== undefined && isRecord(batch)) {
    const range = { streamArn: text(batch.streamArn), shardId: text(batch.shardId), startSequenceNumber: text(batch.startSequenceNumber), endSequenceNumber: text(batch.endSequenceNumber) };
    if (range.streamArn === undefined || range.shardId === undefined || range.startSequenceNumber === undefined || range.endSequenceNumber === undefined) {
      return { problem: 'its stream batch does not name the stream, shard and sequence numbers' };
    }
    return { kind: 'stream', functionArn, range: range as StreamRecordRange, what: `stream records ${range.startSequenceNumber}..${range.endSequenceNumber} of ${range.shardId} → ${functionName(functionArn)}` };
  }
  if (functionArn !== undefined && 'requestPayload' in body) {
    return { kind: 'invoke', functionArn, payload: body.requestPayload, what: `${describe(body.requestPayload)} → ${functionName(functionArn)}` };
  }
  return { problem: 'it is neither a failed invocation, a stream batch, nor a message naming its target (TARGET_ARN)' };
}

/** Lambda hands a stream function at most this many records at once (the mapping's batch size). */
export const STREAM_BATCH_SIZE = 100;

/** Runs one redrive; throws when the target did not take it. */
export async function redrive(plan: Redrive, targets: RedriveTargets): Promise<string> {
  switch (plan.kind) {
    case 'invoke':
      await targets.invoke(plan.functionArn, plan.payload);
      return 'redriven';
    case 'start':
      return (await targets.startExecution(plan.stateMachineArn, plan.input, plan.name)) === 'started' ? `redriven (execution ${plan.name})` : `redriven before (execution ${plan.name} exists)`;
    case 'stream': {
      const records = await targets.streamRecords(plan.range);
      if (records.length === 0) throw new Error('the stream no longer holds these records (kept 24 hours): derive the events from the books instead');
      for (let at = 0; at < records.length; at += STREAM_BATCH_SIZE) {
        const answer = await targets.invoke(plan.functionArn, { Records: records.slice(at, at + STREAM_BATCH_SIZE) });
        const failures = isRecord(answer) && Array.isArray(answer.batchItemFailures) ? answer.batchItemFailures : [];
        if (failures.length > 0) throw new Error(`the function reported record ${String((failures[0] as { itemIdentifier?: unknown }).itemIdentifier)} failed`);
      }
      return `redriven (${records.length} record${records.length === 1 ? '' : 's'})`;
    }
  }
}

export interface ReplayOptions {
  /** Print what would be done; redrive and delete nothing. */
  readonly dryRun: boolean;
  /** At most this many messages. */
  readonly max: number;
}

export interface ReplayLine {
  readonly messageId: string;
  readonly what: string;
  readonly outcome: 'redriven' | 'would redrive' | 'failed' | 'kept';
  readonly detail: string;
}

export interface ReplayReport {
  readonly queue: string;
  readonly lines: readonly ReplayLine[];
}

/** How many messages one receive asks for (SQS's most). */
const RECEIVE_BATCH = 10;

/**
 * Reads the queue until it is empty (or `max` messages), redriving each message once in order
 * and deleting it only after its redrive succeeded. A message that fails stays in the queue for
 * the next replay, and the replay goes on with the next.
 */
export async function replay(queue: DeadLetterQueue, targets: RedriveTargets, options: ReplayOptions): Promise<ReplayReport> {
  const lines: ReplayLine[] = [];
  const seen = new Set<string>();
  while (lines.length < options.max) {
    const batch = await queue.receive(Math.min(RECEIVE_BATCH, options.max - lines.length), { peek: options.dryRun });
    const fresh = batch.filter((letter) => !seen.has(letter.messageId));
    if (fresh.length === 0) break;
    for (const letter of fresh) {
      if (lines.length >= options.max) break;
      seen.add(letter.messageId);
      lines.push(await replayOne(queue, targets, letter, options.dryRun));
    }
  }
  return { queue: queue.name, lines };
}

async function replayOne(queue: DeadLetterQueue, targets: RedriveTargets, letter: DeadLetter, dryRun: boolean): Promise<ReplayLine> {
  const plan = redriveOf(letter);
  if ('problem' in plan) return { messageId: letter.messageId, what: 'not understood', outcome: 'kept', detail: plan.problem };
  if (dryRun) return { messageId: letter.messageId, what: plan.what, outcome: 'would redrive', detail: plan.kind === 'start' ? `start ${plan.name}` : plan.kind };
  let detail: string;
  try {
    detail = await redrive(plan, targets);
  } catch (error) {
    return { messageId: letter.messageId, what: plan.what, outcome: 'failed', detail: `${error instanceof Error ? error.message : String(error)} (kept in the queue)` };
  }
  await queue.delete(letter);
  return { messageId: letter.messageId, what: plan.what, outcome: 'redriven', detail };
}

/** One line per message, then the counts. */
export function formatReplay(report: ReplayReport, dryRun: boolean): string {
  const count = (outcome: ReplayLine['outcome']): number => report.lines.filter((line) => line.outcome === outcome).length;
  const lines = report.lines.map((line) => `${line.messageId}  ${line.outcome}: ${line.what}${line.detail !== '' && line.detail !== 'redriven' ? ` — ${line.detail}` : ''}`);
  const summary =
    report.lines.length === 0
      ? `${report.queue}: no dead letters`
      : dryRun
        ? `${report.queue}: ${count('would redrive')} would be redriven, ${count('kept')} not understood (dry run: nothing redriven or deleted)`
        : `${report.queue}: ${count('redriven')} redriven and deleted, ${count('failed')} failed, ${count('kept')} not understood${count('failed') + count('kept') > 0 ? ' (those stay in the queue)' : ''}`;
  return [...lines, summary].join('\n');
}

/** Exit status: 1 when a message failed or was not understood. */
export function replayIsClean(report: ReplayReport): boolean {
  return report.lines.every((line) => line.outcome === 'redriven' || line.outcome === 'would redrive');
}
