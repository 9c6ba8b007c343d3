import { randomUUID } from 'node:crypto';
import { nextFireTime, parseScheduleExpression } from './cron.ts';
import type { ScheduleExpression } from './cron.ts';
import { asRecord, asString, functionNameFromArn, LOCAL_ACCOUNT, LOCAL_REGION, stateMachineIdFromArn } from './template.ts';
import type { TemplateResolver } from './template.ts';

/**
 * The EventBridge Scheduler schedules of the template, fired locally at their times (in their
 * time zones) or on demand with `fire(id, time)`. A state machine target starts an execution;
 * a function target is invoked asynchronously. The flexible time window is not applied: a
 * schedule fires at its exact time.
 */

export interface LocalSchedule {
  logicalId: string;
  expression: string;
  parsed: ScheduleExpression;
  timezone: string;
  enabled: boolean;
  startDate?: Date;
  endDate?: Date;
  target: { arn: string; input?: string };
  /** The target's dead-letter queue (logical id): where a start or an invocation the schedule could not make goes. */
  deadLetterQueue?: string;
}

export function schedulesFromTemplate(resolver: TemplateResolver): LocalSchedule[] {
  return resolver.resourcesOfType('AWS::Scheduler::Schedule').map(([logicalId]) => {
    const props = resolver.properties(logicalId);
    const target = asRecord(props.Target) ?? {};
    const expression = String(props.ScheduleExpression);
    const date = (value: unknown): Date | undefined => (typeof value === 'string' ? new Date(value) : undefined);
    const startDate = date(props.StartDate);
    const endDate = date(props.EndDate);
    const input = asString(target.Input);
    // The properties come resolved: the queue's ARN ends in its logical id.
    const deadLetterQueue = asString(asRecord(target.DeadLetterConfig)?.Arn)?.split(':').pop();
    return {
      logicalId,
      expression,
      parsed: parseScheduleExpression(expression),
      timezone: asString(props.ScheduleExpressionTimezone) ?? 'UTC',
      enabled: asString(props.State) !== 'DISABLED',
      ...(startDate ? { startDate } : {}),
      ...(endDate ? { endDate } : {}),
      target: { arn: String(target.Arn), ...(input !== undefined ? { input } : {}) },
      ...(deadLetterQueue !== undefined ? { deadLetterQueue } : {}),
    };
  });
}

/** `2024-01-01T01:00:00Z`: the form EventBridge Scheduler gives `<aws.scheduler.scheduled-time>`. */
export function scheduledTimeText(time: Date): string {
  return `${time.toISOString().slice(0, 19)}Z`;
}

export function scheduleArn(logicalId: string): string {
  return `arn:aws:scheduler:${LOCAL_REGION}:${LOCAL_ACCOUNT}:schedule/default/${logicalId}`;
}

/** The target input with the scheduler's context attributes filled in. */
export function renderTargetInput(schedule: LocalSchedule, scheduledTime: Date, executionId: string): string {
  const template = schedule.target.input ?? '{}';
  return template
    .split('<aws.scheduler.scheduled-time>')
    .join(scheduledTimeText(scheduledTime))
    .split('<aws.scheduler.schedule-arn>')
    .join(scheduleArn(schedule.logicalId))
    .split('<aws.scheduler.execution-id>')
    .join(executionId)
    .split('<aws.scheduler.attempt-number>')
    .join('1');
}

export interface ScheduleTargets {
  startExecution(request: { stateMachineArn: string; input: string }): { executionArn: string };
  invokeFunction(nameOrArn: string, payload: unknown): Promise<unknown>;
}

export interface FireResult {
  scheduleId: string;
  scheduledTime: string;
  executionArn?: string;
}

const UNIVERSAL_START_EXECUTION = /^arn:aws[\w-]*:scheduler:::aws-sdk:sfn:startExecution$/;
const MAX_TIMER_MS = 2_147_483_647;

export class LocalScheduler {
  private readonly schedules = new Map<string, LocalSchedule>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private startedAt: Date | undefined;
  private readonly pending = new Set<Promise<unknown>>();

  constructor(
    schedules: LocalSchedule[],
    private readonly targets: ScheduleTargets,
    private readonly options: {
      log?: (line: string) => void;
      now?: () => Date;
      /** Puts what the schedule could not start in its dead-letter queue, with the attributes EventBridge Scheduler gives it. */
      deadLetter?: (queue: string, body: string, attributes: Record<string, string>) => void;
    } = {},
  ) {
    for (const schedule of schedules) this.schedules.set(schedule.logicalId, schedule);
  }

  private now(): Date {
    return this.options.now?.() ?? new Date();
  }

  list(): LocalSchedule[] {
    return [...this.schedules.values()];
  }

  /** Targets that cannot run locally (a warning at start; firing them fails). */
  unsupportedTargets(): Array<{ scheduleId: string; arn: string }> {
    return this.list()
      .filter(({ target }) => !(stateMachineIdFromArn(target.arn) || UNIVERSAL_START_EXECUTION.test(target.arn) || /:lambda:/.test(target.arn)))
      .map((schedule) => ({ scheduleId: schedule.logicalId, arn: schedule.target.arn }));
  }

  nextFireTime(id: string, after: Date = this.now()): Date | undefined {
    const schedule = this.get(id);
    const from = schedule.startDate && schedule.startDate > after ? schedule.startDate : after;
    const next = nextFireTime(schedule.parsed, schedule.timezone, from, this.startedAt ?? from);
    return next && schedule.endDate && next > schedule.endDate ? undefined : next;
  }

  /** A schedule by logical id, or by its construct id (the logical id without the hash suffix). */
  private get(id: string): LocalSchedule {
    const exact = this.schedules.get(id);
    if (exact) return exact;
    const byConstructId = [...this.schedules.values()].filter(
      ({ logicalId }) => logicalId.startsWith(id) && /^[0-9A-F]{8}$/.test(logicalId.slice(id.length)),
    );
    if (byConstructId.length === 1 && byConstructId[0]) return byConstructId[0];
    throw new Error(`No schedule ${id} in the template (known: ${[...this.schedules.keys()].join(', ') || 'none'})`);
  }

  /** Runs the schedule's target now, as if it fired at `isoTime` (logical or construct id). */
  async fire(id: string, isoTime: string): Promise<FireResult> {
    const schedule = this.get(id);
    const logicalId = schedule.logicalId;
    const time = new Date(isoTime);
    if (Number.isNaN(time.getTime())) throw new Error(`${isoTime} is not an ISO time`);
    const executionId = randomUUID();
    const input = renderTargetInput(schedule, time, executionId);
    const result: FireResult = { scheduleId: logicalId, scheduledTime: scheduledTimeText(time) };
    const { arn } = schedule.target;
    if (stateMachineIdFromArn(arn)) {
      try {
        result.executionArn = this.targets.startExecution({ stateMachineArn: arn, input }).executionArn;
      } catch (error) {
        this.deadLetter(schedule, input, executionId, error);
        throw error;
      }
    } else if (UNIVERSAL_START_EXECUTION.test(arn)) {
      const request = asRecord(JSON.parse(input)) ?? {};
      const inner = request.Input;
      result.executionArn = this.targets.startExecution({
        stateMachineArn: String(request.StateMachineArn),
        input: typeof inner === 'string' ? inner : JSON.stringify(inner ?? {}),
      }).executionArn;
    } else if (functionNameFromArn(arn) !== undefined && /:lambda:/.test(arn)) {
      const invocation = this.targets
        .invokeFunction(arn, JSON.parse(input))
        .catch((error: unknown) => this.options.log?.(`Schedule ${logicalId}: ${String(error)}`));
      this.pending.add(invocation);
      void invocation.finally(() => this.pending.delete(invocation));
    } else {
      throw new Error(`Schedule ${logicalId}: target ${arn} cannot run locally`);
    }
    this.options.log?.(`Schedule ${logicalId} fired for ${result.scheduledTime}${result.executionArn ? ` → ${result.executionArn}` : ''}`);
    return result;
  }

  /** A start the schedule could not make, kept in its dead-letter queue: the input as the body, the rest in attributes. */
  private deadLetter(schedule: LocalSchedule, input: string, executionId: string, error: unknown): void {
    if (schedule.deadLetterQueue === undefined) return;
    this.options.deadLetter?.(schedule.deadLetterQueue, input, {
      ERROR_CODE: error instanceof Error ? error.name : 'Error',
      ERROR_MESSAGE: error instanceof Error ? error.message : String(error),
      EXECUTION_ID: executionId,
      SCHEDULE_ARN: scheduleArn(schedule.logicalId),
      TARGET_ARN: schedule.target.arn,
      RETRY_ATTEMPTS: '0',
    });
    this.options.log?.(`Schedule ${schedule.logicalId}: could not start its target, kept in ${schedule.deadLetterQueue}`);
  }

  /** Arms a timer for every enabled schedule. */
  start(): void {
    this.startedAt = this.now();
    for (const schedule of this.schedules.values()) {
      if (schedule.enabled) this.arm(schedule.logicalId);
    }
  }

  private arm(logicalId: string): void {
    const next = this.nextFireTime(logicalId);
    if (!next) return;
    const delay = Math.min(Math.max(0, next.getTime() - this.now().getTime()), MAX_TIMER_MS);
    const timer = setTimeout(() => {
      this.timers.delete(logicalId);
      if (this.now().getTime() >= next.getTime()) {
        this.fire(logicalId, next.toISOString()).catch((error: unknown) =>
          this.options.log?.(`Schedule ${logicalId} failed to fire: ${error instanceof Error ? error.message : String(error)}`),
        );
      }
      this.arm(logicalId);
    }, delay);
    timer.unref();
    this.timers.set(logicalId, timer);
  }

  async stop(): Promise<void> {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    await Promise.all([...this.pending]);
  }
}
