import { invariant, RuleViolation, ValidationError } from '../errors.ts';
import { describeValue } from './describe-value.ts';
import type { RoundingMode } from './rounding.ts';
import { divRound, parseRoundingMode } from './rounding.ts';

export interface SplitPart {
  readonly id: string;
  readonly weight: bigint;
  /** Lower numbers win ties. */
  readonly priority: number;
  /** The most this part may receive. */
  readonly cap?: bigint;
}

export type RemainderRule =
  | { readonly kind: 'ROUNDING_PARTY'; readonly party?: string; readonly mode: RoundingMode }
  | { readonly kind: 'LARGEST_REMAINDER' };

/** A part's state during a split: weight 0, sharing what is left pro rata, or fixed at its cap. */
const ZERO_WEIGHT = 0;
const ACTIVE = 1;
const AT_CAP = 2;

/**
 * The one allocation function: funding shares, repayment splits (each component separately),
 * profit shares and loss shares all go through `split`.
 *
 * A part's exact share is total x weight / (sum of weights). The remainder rule turns exact shares
 * into whole minor units that always sum to the total:
 * - ROUNDING_PARTY: every part but the rounding party gets its exact share rounded with `mode`; the
 *   party takes what is left. The party is `party` when it has a positive weight (and its exact share
 *   does not already reach its cap), otherwise the remaining part with the largest weight (then the
 *   lower priority number, then the lower id). A `party` that is not among the parts is refused.
 * - LARGEST_REMAINDER: every part gets its exact share rounded down; the minor units left over go one
 *   each to the largest fractional remainders.
 *
 * Ties are always broken in the order: larger remainder, lower priority number, lower id (compared by
 * UTF-16 code units). No step depends on the order of `parts`.
 *
 * Caps: a part never receives more than its `cap` (a lender's outstanding principal). A part whose
 * exact share reaches its cap receives the cap and the rest is shared among the others by weight,
 * again until no exact share exceeds a cap. Rounding can then only push the rounding party above its
 * cap; the excess goes one unit each to the other parts with headroom in tie-break order. A total
 * above the sum of the caps of the positive-weight parts (when all of them have one) is refused with
 * RuleViolation SPLIT_EXCEEDS_CAPS.
 *
 * Floor: no part is negative. When the other parts' rounded-up shares exceed the total (for instance
 * four equal parts of 2 fen rounded HALF_UP), the rounding party gets 0 and the parts rounded up give
 * back one unit each, smallest remainder first, then higher priority number, then higher id.
 *
 * Parts of weight 0 always get 0. The returned map holds every input id, in input order.
 */
export function split(total: bigint, parts: readonly SplitPart[], rule: RemainderRule): Map<string, bigint> {
  if (typeof total !== 'bigint' || total < 0n) {
    throw new ValidationError(`total must be a bigint of zero or more minor units, got ${describeValue(total)}`, {
      path: 'total',
      rule: 'non-negative',
    });
  }
  checkRule(rule);
  const count = parts.length;
  const result = new Map<string, bigint>();
  let weightTotal = 0n;
  let capacity = 0n;
  let everyPartCapped = true;
  let anyCap = false;
  for (let i = 0; i < count; i++) {
    const part = parts[i]!;
    checkPart(part, i);
    if (result.has(part.id)) {
      throw new ValidationError(`parts[${i}].id ${JSON.stringify(part.id)} appears more than once`, {
        path: `parts[${i}].id`,
        rule: 'unique-id',
      });
    }
    result.set(part.id, 0n);
    if (part.weight > 0n) {
      weightTotal += part.weight;
      if (part.cap === undefined) everyPartCapped = false;
      else {
        capacity += part.cap;
        anyCap = true;
      }
    }
  }
  if (rule.kind === 'ROUNDING_PARTY' && rule.party !== undefined && !result.has(rule.party)) {
    throw new ValidationError(`rule.party ${JSON.stringify(rule.party)} is not one of the parts`, {
      path: 'rule.party',
      rule: 'known-party',
    });
  }
  if (total === 0n) return result;
  if (weightTotal === 0n) {
    throw new ValidationError(`parts: splitting ${total} needs at least one part with a positive weight`, {
      path: 'parts',
      rule: 'positive-weight',
    });
  }
  if (everyPartCapped && total > capacity) {
    throw new RuleViolation('SPLIT_EXCEEDS_CAPS', `cannot split ${total}: the parts' caps allow at most ${capacity}`, {
      total: total.toString(),
      capacity: capacity.toString(),
    });
  }

  const amounts = new Array<bigint>(count).fill(0n);
  const states = new Uint8Array(count).fill(ZERO_WEIGHT);
  for (let i = 0; i < count; i++) if (parts[i]!.weight > 0n) states[i] = ACTIVE;
  const pool = anyCap
    ? fillToCaps(parts, states, amounts, total, weightTotal)
    : { remaining: total, weight: weightTotal };
  if (pool.weight > 0n) {
    if (rule.kind === 'LARGEST_REMAINDER') largestRemainder(parts, states, amounts, pool.remaining, pool.weight);
    else roundingParty(parts, states, amounts, pool.remaining, pool.weight, rule.party, rule.mode);
  } else {
    invariant(pool.remaining === 0n, 'capped parts left an amount unallocated', {
      remaining: pool.remaining.toString(),
    });
  }
  return collect(parts, amounts, total, result);
}

function checkRule(rule: RemainderRule): void {
  if (rule.kind === 'LARGEST_REMAINDER') return;
  if (rule.kind !== 'ROUNDING_PARTY') {
    const kind: unknown = (rule as { kind: unknown }).kind;
    throw new ValidationError(`rule.kind must be ROUNDING_PARTY or LARGEST_REMAINDER, got ${describeValue(kind)}`, {
      path: 'rule.kind',
      rule: 'remainder-rule',
    });
  }
  parseRoundingMode(rule.mode, 'rule.mode');
  if (rule.party !== undefined && typeof rule.party !== 'string') {
    throw new ValidationError(`rule.party must be a part id, got ${describeValue(rule.party)}`, {
      path: 'rule.party',
      rule: 'known-party',
    });
  }
}

function checkPart(part: SplitPart, index: number): void {
  const { id, weight, priority, cap } = part;
  if (typeof id !== 'string' || id === '') {
    throw new ValidationError(`parts[${index}].id must be a non-empty string`, {
      path: `parts[${index}].id`,
      rule: 'id',
    });
  }
  if (typeof weight !== 'bigint' || weight < 0n) {
    throw new ValidationError(`parts[${index}].weight must be a bigint of zero or more, got ${describeValue(weight)}`, {
      path: `parts[${index}].weight`,
      rule: 'non-negative',
      id,
    });
  }
  if (typeof priority !== 'number' || !Number.isFinite(priority)) {
    throw new ValidationError(`parts[${index}].priority must be a finite number, got ${describeValue(priority)}`, {
      path: `parts[${index}].priority`,
      rule: 'finite',
      id,
    });
  }
  if (cap !== undefined && (typeof cap !== 'bigint' || cap < 0n)) {
    throw new ValidationError(`parts[${index}].cap must be a bigint of zero or more, got ${describeValue(cap)}`, {
      path: `parts[${index}].cap`,
      rule: 'non-negative',
      id,
    });
  }
}

interface Pool {
  readonly remaining: bigint;
  readonly weight: bigint;
}

/**
 * Fixes at its cap every part whose exact share of what is left reaches the cap, and repeats with
 * the others: fixing a part never lowers the others' shares, so each round only adds parts, and
 * all parts found in one round are fixed together (independent of their order).
 */
function fillToCaps(
  parts: readonly SplitPart[],
  states: Uint8Array,
  amounts: bigint[],
  total: bigint,
  weightTotal: bigint,
): Pool {
  let remaining = total;
  let weight = weightTotal;
  for (;;) {
    let fixedAmount = 0n;
    let fixedWeight = 0n;
    for (let i = 0; i < parts.length; i++) {
      if (states[i] !== ACTIVE) continue;
      const part = parts[i]!;
      if (part.cap !== undefined && remaining * part.weight >= part.cap * weight) {
        states[i] = AT_CAP;
        amounts[i] = part.cap;
        fixedAmount += part.cap;
        fixedWeight += part.weight;
      }
    }
    if (fixedWeight === 0n) return { remaining, weight };
    remaining -= fixedAmount;
    weight -= fixedWeight;
    if (weight === 0n) return { remaining, weight };
  }
}

/** Whether part a wins a tie-break over part b: larger remainder, then lower priority, then lower id. */
function wins(parts: readonly SplitPart[], remainders: readonly bigint[], a: number, b: number): boolean {
  const ra = remainders[a]!;
  const rb = remainders[b]!;
  if (ra !== rb) return ra > rb;
  const pa = parts[a]!;
  const pb = parts[b]!;
  if (pa.priority !== pb.priority) return pa.priority < pb.priority;
  return pa.id < pb.id;
}

function byTieBreak(parts: readonly SplitPart[], remainders: readonly bigint[]): (a: number, b: number) => number {
  return (a, b) => (a === b ? 0 : wins(parts, remainders, a, b) ? -1 : 1);
}

function largestRemainder(
  parts: readonly SplitPart[],
  states: Uint8Array,
  amounts: bigint[],
  remaining: bigint,
  weight: bigint,
): void {
  const remainders = new Array<bigint>(parts.length).fill(0n);
  let leftover = remaining;
  for (let i = 0; i < parts.length; i++) {
    if (states[i] !== ACTIVE) continue;
    const product = remaining * parts[i]!.weight;
    const floor = product / weight;
    amounts[i] = floor;
    remainders[i] = product - floor * weight;
    leftover -= floor;
  }
  if (leftover === 0n) return;
  if (leftover === 1n) {
    let best = -1;
    for (let i = 0; i < parts.length; i++) {
      if (states[i] === ACTIVE && remainders[i]! > 0n && (best < 0 || wins(parts, remainders, i, best))) best = i;
    }
    invariant(best >= 0, 'a leftover unit has no part with a remainder');
    amounts[best]! += 1n;
    return;
  }
  const candidates: number[] = [];
  for (let i = 0; i < parts.length; i++) if (states[i] === ACTIVE && remainders[i]! > 0n) candidates.push(i);
  // Each remainder is below one unit and they add up to the leftover, so there are more candidates than units.
  invariant(BigInt(candidates.length) > leftover, 'more leftover units than parts with a remainder', {
    leftover: leftover.toString(),
  });
  candidates.sort(byTieBreak(parts, remainders));
  for (let k = 0; k < Number(leftover); k++) amounts[candidates[k]!]! += 1n;
}

function chooseParty(parts: readonly SplitPart[], states: Uint8Array, named: string | undefined): number {
  let best = -1;
  for (let i = 0; i < parts.length; i++) {
    if (states[i] !== ACTIVE) continue;
    const part = parts[i]!;
    if (part.id === named) return i;
    if (best < 0) {
      best = i;
      continue;
    }
    const current = parts[best]!;
    if (
      part.weight > current.weight ||
      (part.weight === current.weight &&
        (part.priority < current.priority || (part.priority === current.priority && part.id < current.id)))
    ) {
      best = i;
    }
  }
  invariant(best >= 0, 'no part can take the remainder');
  return best;
}

function roundingParty(
  parts: readonly SplitPart[],
  states: Uint8Array,
  amounts: bigint[],
  remaining: bigint,
  weight: bigint,
  named: string | undefined,
  mode: RoundingMode,
): void {
  const party = chooseParty(parts, states, named);
  let given = 0n;
  for (let i = 0; i < parts.length; i++) {
    if (states[i] !== ACTIVE || i === party) continue;
    const share = divRound(remaining * parts[i]!.weight, weight, mode);
    amounts[i] = share;
    given += share;
  }
  const partyAmount = remaining - given;
  const partyCap = parts[party]!.cap;
  if (partyAmount < 0n) {
    amounts[party] = 0n;
    shiftUnits(parts, states, amounts, remaining, weight, party, -partyAmount, 'TAKE');
  } else if (partyCap !== undefined && partyAmount > partyCap) {
    amounts[party] = partyCap;
    shiftUnits(parts, states, amounts, remaining, weight, party, partyAmount - partyCap, 'GIVE');
  } else {
    amounts[party] = partyAmount;
  }
}

/** Exact share minus amount, scaled by the pool weight so remainders compare as integers. */
function remaindersOf(
  parts: readonly SplitPart[],
  states: Uint8Array,
  amounts: readonly bigint[],
  remaining: bigint,
  weight: bigint,
): bigint[] {
  const remainders = new Array<bigint>(parts.length).fill(0n);
  for (let i = 0; i < parts.length; i++) {
    if (states[i] === ACTIVE) remainders[i] = remaining * parts[i]!.weight - amounts[i]! * weight;
  }
  return remainders;
}

/**
 * Moves `units` one at a time between the rounding party and the other parts. `GIVE` hands what
 * the party could not hold (its cap) to the parts with headroom, in tie-break order; `TAKE` takes
 * back what rounding overshot from the parts that have something, in reverse tie-break order.
 */
function shiftUnits(
  parts: readonly SplitPart[],
  states: Uint8Array,
  amounts: bigint[],
  remaining: bigint,
  weight: bigint,
  party: number,
  units: bigint,
  direction: 'GIVE' | 'TAKE',
): void {
  const remainders = remaindersOf(parts, states, amounts, remaining, weight);
  const candidates: number[] = [];
  for (let i = 0; i < parts.length; i++) if (states[i] === ACTIVE && i !== party) candidates.push(i);
  const order = byTieBreak(parts, remainders);
  candidates.sort(direction === 'GIVE' ? order : (a, b) => order(b, a));
  const step = direction === 'GIVE' ? 1n : -1n;
  const canMove = (i: number): boolean => {
    if (direction === 'TAKE') return amounts[i]! > 0n;
    const cap = parts[i]!.cap;
    return cap === undefined || amounts[i]! < cap;
  };
  let left = units;
  while (left > 0n) {
    let moved = false;
    for (const i of candidates) {
      if (left === 0n) break;
      if (!canMove(i)) continue;
      amounts[i]! += step;
      left -= 1n;
      moved = true;
    }
    if (!moved) {
      invariant(
        false,
        direction === 'GIVE' ? 'no part has headroom for the excess over the rounding party cap' : 'the parts cannot give back what rounding overshot',
        direction === 'GIVE' ? { excess: left.toString() } : { deficit: left.toString() },
      );
    }
  }
}

function collect(
  parts: readonly SplitPart[],
  amounts: readonly bigint[],
  total: bigint,
  result: Map<string, bigint>,
): Map<string, bigint> {
  let sum = 0n;
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    const amount = amounts[i]!;
    invariant(
      amount >= 0n && (part.cap === undefined || amount <= part.cap) && (part.weight > 0n || amount === 0n),
      'a split part is negative, above its cap or given to a weight of zero',
      { id: part.id, amount: amount.toString() },
    );
    sum += amount;
    result.set(part.id, amount);
  }
  invariant(sum === total, 'split parts do not sum to the total', { total: total.toString(), sum: sum.toString() });
  return result;
}
