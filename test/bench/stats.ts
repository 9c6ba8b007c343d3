import { readdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

/** Percentile of sorted samples, nearest-rank. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] as number;
}

export function formatMs(ms: number): string {
  return `${ms.toFixed(1)} ms`;
}

/** Clock ticks per second of /proc's CPU times (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100;

/**
 * The processes of a process group (the local DynamoDB runs in a group of its own), from /proc:
 * each one's pid and the fields of its `stat` after the command's closing parenthesis (state ppid
 * pgrp ...); null where there is no /proc. A process that ends while it is read is left out.
 */
export function groupProcesses(processGroup: number): { pid: string; fields: string[] }[] | null {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return null;
  }
  const found: { pid: string; fields: string[] }[] = [];
  for (const pid of entries) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
      if (Number(fields[2]) === processGroup) found.push({ pid, fields });
    } catch {
      // The process ended while it was read.
    }
  }
  return found;
}

/** CPU time (user + system, ms) of every process of a process group; null where there is no /proc. */
export function groupCpuMs(processGroup: number): number | null {
  const processes = groupProcesses(processGroup);
  if (processes === null) return null;
  // utime and stime: the 12th and 13th fields after the command.
  const ticks = processes.reduce((sum, { fields }) => sum + Number(fields[11]) + Number(fields[12]), 0);
  return (ticks * 1000) / TICKS_PER_SECOND;
}

/** CPU time spent by this process and by the local DynamoDB between two readings. */
export function cpuMeter(processGroup: number): () => { nodeMs: number; dynamoDbMs: number | null } {
  const node = process.cpuUsage();
  const dynamoDb = groupCpuMs(processGroup);
  return () => {
    const used = process.cpuUsage(node);
    const after = groupCpuMs(processGroup);
    return { nodeMs: (used.user + used.system) / 1000, dynamoDbMs: dynamoDb === null || after === null ? null : after - dynamoDb };
  };
}

/** "Node 4.1 ms + DynamoDB Local 2.9 ms (on 2 cores: at most 285/s)". */
export function cpuText(perUnit: { nodeMs: number; dynamoDbMs: number | null }): string {
  if (perUnit.dynamoDbMs === null) return `Node ${perUnit.nodeMs.toFixed(2)} ms (DynamoDB Local not measured: no /proc)`;
  const total = perUnit.nodeMs + perUnit.dynamoDbMs;
  const cores = availableParallelism();
  return `Node ${perUnit.nodeMs.toFixed(2)} ms + DynamoDB Local ${perUnit.dynamoDbMs.toFixed(2)} ms (all ${cores} cores busy with nothing else: at most ${Math.floor((cores * 1000) / total)}/s)`;
}
