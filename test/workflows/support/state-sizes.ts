import type { StateMachine } from 'aws-local-stepfunctions';

export type JSONValue = null | boolean | number | string | JSONValue[] | { [key: string]: JSONValue };

/** Step Functions refuses a state's input or output above 256 KiB (`States.DataLimitExceeded`). */
export const STATE_DATA_LIMIT_BYTES = 256 * 1024;

export interface StateSize {
  readonly state: string;
  readonly side: 'input' | 'output';
  readonly bytes: number;
}

/** The UTF-8 size of a value as a state would carry it. */
export const jsonBytes = (value: unknown): number => Buffer.byteLength(JSON.stringify(value ?? null), 'utf8');

/**
 * Runs an execution and measures every state's input and output, Map iterations included, from
 * the engine's event log: what AWS would check against its limit.
 */
export async function runMeasured(
  machine: StateMachine,
  input: JSONValue,
  options: Parameters<StateMachine['run']>[1],
): Promise<{ result: unknown; sizes: StateSize[]; largest: StateSize }> {
  const execution = machine.run(input, options);
  const sizes: StateSize[] = [];
  const reading = (async () => {
    for await (const event of execution.eventLogs) {
      if (event.type !== 'StateEntered' && event.type !== 'StateExited') continue;
      sizes.push({ state: event.state.name, side: 'input', bytes: jsonBytes(event.state.input) });
      if (event.type === 'StateExited') sizes.push({ state: event.state.name, side: 'output', bytes: jsonBytes(event.state.output) });
    }
  })();
  const result = await execution.result;
  await reading;
  sizes.push({ state: '(execution)', side: 'output', bytes: jsonBytes(result) });
  const largest = sizes.reduce((a, b) => (b.bytes > a.bytes ? b : a));
  return { result, sizes, largest };
}
