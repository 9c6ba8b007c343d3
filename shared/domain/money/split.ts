import { invariant, RuleViolation, ValidationError } from '../errors.ts';
import { describeValue } from './describe-value.ts';
import type { RoundingMode } from './rounding.ts';
import { bigintOf, divRoundSmall, EXACT_NUMBER_LIMIT } from './exact-number.ts';
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
  const amounts = splitAmounts(total, parts, rule);
  const result = new Map<string, bigint>();
  for (let i = 0; i < parts.length; i++) result.set(parts[i]!.id, amounts[i]!);
  return result;
}

/**
 * The same split as `split`, each part's amount at the part's index: for callers that already hold
 * the parts in an order of their own and would only look the amounts up again by id.
 */
export function splitAmounts(total: bigint, parts: readonly SplitPart[], rule: RemainderRule): bigint[] {
  return splitWith(total, parts, rule, true);
}

/**
 * The same split computed in bigint throughout, whatever the size of the amounts: the reference
 * that the number path of `splitAmounts` must always equal.
 */
export function splitAmountsInBigint(total: bigint, parts: readonly SplitPart[], rule: RemainderRule): bigint[] {
  return splitWith(total, parts, rule, false);
}

function splitWith(total: bigint, parts: readonly SplitPart[], rule: RemainderRule, numbersAllowed: boolean): bigint[] {
  if (typeof total !== 'bigint' || total < 0n) {
    throw new ValidationError(`total must be a bigint of zero or more minor units, got ${describeValue(total)}`, {
      path: 'total',
      rule: 'non-negative',
    });
  }
  checkRule(rule);
  const count = parts.length;
  // Weights and caps are read once, as numbers: exact, and added up exactly, when the sums stay
  // under EXACT_NUMBER_LIMIT; in bigint below otherwise.
  const { weights, caps, ids, priorities } = scratchFor(count);
  let weightSum = 0;
  let capacitySum = 0;
  let everyPartCapped = true;
  let anyCap = false;
  const seen = count > SHORT_LIST ? new Set<string>() : null;
  for (let i = 0; i < count; i++) {
    const part = parts[i]!;
    checkPart(part, i, weights, caps);
    ids[i] = part.id;
    priorities[i] = part.priority;
    if (appearsBefore(parts, i, seen)) {
      throw new ValidationError(`parts[${i}].id ${JSON.stringify(part.id)} appears more than once`, {
        path: `parts[${i}].id`,
        rule: 'unique-id',
      });
    }
    if (weights[i]! > 0) {
      weightSum += weights[i]!;
      if (caps[i] === NO_CAP) everyPartCapped = false;
      else {
        capacitySum += caps[i]!;
        anyCap = true;
      }
    }
  }
  if (rule.kind === 'ROUNDING_PARTY' && rule.party !== undefined && indexOfId(parts, rule.party) < 0) {
    throw new ValidationError(`rule.party ${JSON.stringify(rule.party)} is not one of the parts`, {
      path: 'rule.party',
      rule: 'known-party',
    });
  }
  if (total === 0n) return new Array<bigint>(count).fill(0n);
  // Each weight is zero or more and Number() of a positive one is positive: no sum means no weight.
  if (weightSum === 0) {
    throw new ValidationError(`parts: splitting ${total} needs at least one part with a positive weight`, {
      path: 'parts',
      rule: 'positive-weight',
    });
  }
  const exactSums = weightSum < EXACT_NUMBER_LIMIT && capacitySum < EXACT_NUMBER_LIMIT;
  // An exact capacity compares exactly with Number(total): a total too large to be exact is larger.
  if (everyPartCapped && (exactSums ? Number(total) > capacitySum : total > sumOf(parts, true))) {
    const capacity = sumOf(parts, true);
    throw new RuleViolation('SPLIT_EXCEEDS_CAPS', `cannot split ${total}: the parts' caps allow at most ${capacity}`, {
      total: total.toString(),
      capacity: capacity.toString(),
    });
  }

  if (numbersAllowed && exactSums) {
    const { amounts } = scratch;
    const largest = rule.kind === 'LARGEST_REMAINDER';
    const party = largest ? undefined : rule.party;
    const mode = largest ? 'DOWN' : rule.mode;
    if (shareInNumbers(count, ids, priorities, weights, caps, amounts, Number(total), weightSum, largest, party, mode)) {
      return toBigints(parts, weights, caps, amounts, total);
    }
  }
  const weightTotal = sumOf(parts, false);
  const amounts = new Array<bigint>(count).fill(0n);
  const states = new Uint8Array(count).fill(ZERO_WEIGHT);
  for (let i = 0; i < count; i++) if (parts[i]!.weight > 0n) states[i] = ACTIVE;
  let remaining = total;
  let weight = weightTotal;
  if (anyCap) {
    const pool = fillToCaps(parts, states, amounts, total, weightTotal);
    remaining = pool.remaining;
    weight = pool.weight;
  }
  if (weight > 0n) {
    if (rule.kind === 'LARGEST_REMAINDER') largestRemainder(parts, states, amounts, remaining, weight);
    else roundingParty(parts, states, amounts, remaining, weight, rule.party, rule.mode);
  } else if (remaining !== 0n) {
    invariant(false, 'capped parts left an amount unallocated', { remaining: remaining.toString() });
  }
  checkAmounts(parts, amounts, total);
  return amounts;
}

/** The weights (or the caps) of the parts of positive weight, added up in bigint. */
function sumOf(parts: readonly SplitPart[], ofCaps: boolean): bigint {
  let sum = 0n;
  for (const part of parts) {
    if (part.weight > 0n) sum += ofCaps ? (part.cap ?? 0n) : part.weight;
  }
  return sum;
}

/** No cap, in the number path (caps are zero or more). */
export const NO_CAP = -1;

/**
 * `splitAmounts` for callers that hold their parts as plain numbers, already checked: distinct
 * non-empty ids, finite priorities, weights and caps whole numbers of zero or more (NO_CAP for
 * none), the total a whole number of zero or more, the rule valid with its party among the ids.
 * Writes each part's amount into `amounts` at the part's index and returns true; returns false,
 * writing nothing the caller may use, whenever the split is not this simple: sums or products not
 * exact as numbers, no positive weight, a total above the caps, or a case that needs more than one
 * pass. The caller then splits in bigint with `splitAmounts`, which gives the same result or refuses.
 */
export function splitWholeNumbers(
  total: number,
  count: number,
  parts: WholeNumberParts,
  rule: RemainderRule,
  amounts: Float64Array,
): boolean {
  const { ids, priorities, weights, caps } = parts;
  let weightSum = 0;
  let capacitySum = 0;
  let everyPartCapped = true;
  for (let i = 0; i < count; i++) {
    const weight = weights[i]!;
    if (!(weight >= 0)) return false;
    if (weight === 0) continue;
    weightSum += weight;
    if (caps[i] === NO_CAP) everyPartCapped = false;
    else capacitySum += caps[i]!;
  }
  if (!(weightSum < EXACT_NUMBER_LIMIT && capacitySum < EXACT_NUMBER_LIMIT && total >= 0 && total < EXACT_NUMBER_LIMIT)) return false;
  if (total === 0) {
    for (let i = 0; i < count; i++) amounts[i] = 0;
    return true;
  }
  if (weightSum === 0 || (everyPartCapped && total > capacitySum)) return false;
  if (rule.kind === 'LARGEST_REMAINDER') return shareInNumbers(count, ids, priorities, weights, caps, amounts, total, weightSum, true, undefined, 'DOWN');
  const mode = rule.mode;
  if (mode !== 'HALF_UP' && mode !== 'HALF_EVEN' && mode !== 'DOWN') return false;
  return shareInNumbers(count, ids, priorities, weights, caps, amounts, total, weightSum, false, rule.party, mode);
}

/** Parts as plain numbers, at their index; see `splitWholeNumbers`. */
export interface WholeNumberParts {
  readonly ids: readonly string[];
  readonly priorities: Float64Array;
  readonly weights: Float64Array;
  readonly caps: Float64Array;
}

/**
 * The split in plain numbers: the same steps as in bigint, exact because every product it forms
 * (what is left x a weight, a cap x the pool weight) stays below EXACT_NUMBER_LIMIT. False when
 * the amounts are too large for that, or in the rare cases that need more than one pass (rounding
 * that pushes the rounding party below zero or above its cap, capped parts that leave an amount
 * unallocated): the bigint path then computes, or refuses, the split. `total` is at least 1 and
 * `weightTotal` the sum of the positive weights.
 */
function shareInNumbers(
  count: number,
  ids: readonly string[],
  priorities: Float64Array,
  weights: Float64Array,
  caps: Float64Array,
  amounts: Float64Array,
  total: number,
  weightTotal: number,
  largest: boolean,
  party: string | undefined,
  mode: RoundingMode,
): boolean {
  // total >= 1, so the pool weight and every product below are under the limit too.
  if (!(total * weightTotal < EXACT_NUMBER_LIMIT)) return false;
  const states = scratchFor(count).states;
  let anyCap = false;
  for (let i = 0; i < count; i++) {
    amounts[i] = 0;
    states[i] = ZERO_WEIGHT;
    if (weights[i] === 0) continue;
    states[i] = ACTIVE;
    if (caps[i] !== NO_CAP) {
      if (!(caps[i]! * weightTotal < EXACT_NUMBER_LIMIT)) return false;
      anyCap = true;
    }
  }
  let remaining = total;
  let weight = weightTotal;
  if (anyCap) {
    for (;;) {
      let fixedAmount = 0;
      let fixedWeight = 0;
      for (let i = 0; i < count; i++) {
        const cap = caps[i]!;
        if (states[i] !== ACTIVE || cap === NO_CAP || remaining * weights[i]! < cap * weight) continue;
        states[i] = AT_CAP;
        amounts[i] = cap;
        fixedAmount += cap;
        fixedWeight += weights[i]!;
      }
      if (fixedWeight === 0) break;
      remaining -= fixedAmount;
      weight -= fixedWeight;
      if (weight === 0) break;
    }
  }
  if (weight === 0) return remaining === 0;
  if (largest) return largestRemainderInNumbers(count, ids, priorities, states, weights, amounts, remaining, weight);
  return roundingPartyInNumbers(count, ids, priorities, states, weights, caps, amounts, remaining, weight, party, mode);
}

interface Scratch {
  readonly ids: string[];
  readonly priorities: Float64Array;
  readonly weights: Float64Array;
  readonly caps: Float64Array;
  readonly amounts: Float64Array;
  readonly remainders: Float64Array;
  readonly states: Uint8Array;
}

/**
 * The number path's working arrays, reused from split to split: a split runs to its end before the
 * next one starts, and allocating them afresh would cost more than the arithmetic they hold.
 */
let scratch: Scratch = scratchOf(8);

function scratchOf(size: number): Scratch {
  return {
    ids: new Array<string>(size).fill(''),
    priorities: new Float64Array(size),
    weights: new Float64Array(size),
    caps: new Float64Array(size),
    amounts: new Float64Array(size),
    remainders: new Float64Array(size),
    states: new Uint8Array(size),
  };
}

function scratchFor(count: number): Scratch {
  if (scratch.states.length < count) scratch = scratchOf(Math.max(count, 2 * scratch.states.length));
  return scratch;
}

/** The number path's amounts as bigints, after the same checks as `checkAmounts`. */
function toBigints(
  parts: readonly SplitPart[],
  weights: Float64Array,
  caps: Float64Array,
  amounts: Float64Array,
  total: bigint,
): bigint[] {
  const result = new Array<bigint>(parts.length);
  let sum = 0;
  let valid = true;
  for (let i = 0; i < parts.length; i++) {
    const amount = amounts[i]!;
    const cap = caps[i]!;
    if (!(amount >= 0 && (cap === NO_CAP || amount <= cap) && (weights[i]! > 0 || amount === 0))) valid = false;
    sum += amount;
    result[i] = bigintOf(amount);
  }
  if (!valid || sum !== Number(total)) checkAmounts(parts, result, total);
  return result;
}

function roundingPartyInNumbers(
  count: number,
  ids: readonly string[],
  priorities: Float64Array,
  states: Uint8Array,
  weights: Float64Array,
  caps: Float64Array,
  amounts: Float64Array,
  remaining: number,
  weight: number,
  named: string | undefined,
  mode: RoundingMode,
): boolean {
  const party = choosePartyInNumbers(count, ids, priorities, states, weights, named);
  let given = 0;
  for (let i = 0; i < count; i++) {
    if (states[i] !== ACTIVE || i === party) continue;
    const share = divRoundSmall(remaining * weights[i]!, weight, mode);
    amounts[i] = share;
    given += share;
  }
  const partyAmount = remaining - given;
  const partyCap = caps[party]!;
  if (partyAmount < 0 || (partyCap !== NO_CAP && partyAmount > partyCap)) return false;
  amounts[party] = partyAmount;
  return true;
}

/** `chooseParty` on the number path: weights there are exact, so they compare as the bigints do. */
function choosePartyInNumbers(
  count: number,
  ids: readonly string[],
  priorities: Float64Array,
  states: Uint8Array,
  weights: Float64Array,
  named: string | undefined,
): number {
  let best = -1;
  for (let i = 0; i < count; i++) {
    if (states[i] !== ACTIVE) continue;
    if (ids[i] === named) return i;
    if (best < 0) {
      best = i;
      continue;
    }
    const weight = weights[i]!;
    const bestWeight = weights[best]!;
    if (
      weight > bestWeight ||
      (weight === bestWeight &&
        (priorities[i]! < priorities[best]! || (priorities[i] === priorities[best] && ids[i]! < ids[best]!)))
    ) {
      best = i;
    }
  }
  invariant(best >= 0, 'no part can take the remainder');
  return best;
}

function largestRemainderInNumbers(
  count: number,
  ids: readonly string[],
  priorities: Float64Array,
  states: Uint8Array,
  weights: Float64Array,
  amounts: Float64Array,
  remaining: number,
  weight: number,
): boolean {
  const remainders = scratch.remainders;
  let leftover = remaining;
  for (let i = 0; i < count; i++) {
    remainders[i] = 0;
    if (states[i] !== ACTIVE) continue;
    const product = remaining * weights[i]!;
    const floor = divRoundSmall(product, weight, 'DOWN');
    amounts[i] = floor;
    remainders[i] = product - floor * weight;
    leftover -= floor;
  }
  if (leftover === 0) return true;
  if (leftover === 1) {
    let best = -1;
    for (let i = 0; i < count; i++) {
      if (states[i] === ACTIVE && remainders[i]! > 0 && (best < 0 || winsInNumbers(ids, priorities, remainders, i, best))) best = i;
    }
    invariant(best >= 0, 'a leftover unit has no part with a remainder');
    amounts[best]! += 1;
    return true;
  }
  const candidates: number[] = [];
  for (let i = 0; i < count; i++) if (states[i] === ACTIVE && remainders[i]! > 0) candidates.push(i);
  if (!(candidates.length > leftover)) {
    invariant(false, 'more leftover units than parts with a remainder', { leftover: leftover.toString() });
  }
  candidates.sort((a, b) => (a === b ? 0 : winsInNumbers(ids, priorities, remainders, a, b) ? -1 : 1));
  for (let k = 0; k < leftover; k++) amounts[candidates[k]!]! += 1;
  return true;
}

/** `wins` on the number path. */
function winsInNumbers(ids: readonly string[], priorities: Float64Array, remainders: Float64Array, a: number, b: number): boolean {
  const ra = remainders[a]!;
  const rb = remainders[b]!;
  if (ra !== rb) return ra > rb;
  if (priorities[a] !== priorities[b]) return priorities[a]! < priorities[b]!;
  return ids[a]! < ids[b]!;
}

/** Lists longer than this check their ids with a Set; a loan's handful of lenders compare directly. */
const SHORT_LIST = 16;

/** Whether the id of parts[index] is also the id of an earlier part; `seen` holds those ids for a long list. */
function appearsBefore(parts: readonly SplitPart[], index: number, seen: Set<string> | null): boolean {
  const id = parts[index]!.id;
  if (seen !== null) {
    if (seen.has(id)) return true;
    seen.add(id);
    return false;
  }
  for (let j = 0; j < index; j++) if (parts[j]!.id === id) return true;
  return false;
}

function indexOfId(parts: readonly SplitPart[], id: string): number {
  for (let i = 0; i < parts.length; i++) if (parts[i]!.id === id) return i;
  return -1;
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

/** Checks a part and reads its weight and cap (NO_CAP when it has none) into `weights` and `caps` as numbers. */
function checkPart(part: SplitPart, index: number, weights: Float64Array, caps: Float64Array): void {
  const { id, weight, priority, cap } = part;
  if (typeof id !== 'string' || id === '') {
    throw new ValidationError(`parts[${index}].id must be a non-empty string`, {
      path: `parts[${index}].id`,
      rule: 'id',
    });
  }
  // Number() keeps the sign of a bigint, so the number says whether it is negative.
  const weightNumber = typeof weight === 'bigint' ? Number(weight) : -1;
  if (weightNumber < 0) {
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
  let capNumber = NO_CAP;
  if (cap !== undefined) {
    capNumber = typeof cap === 'bigint' ? Number(cap) : -1;
    if (capNumber < 0) {
      throw new ValidationError(`parts[${index}].cap must be a bigint of zero or more, got ${describeValue(cap)}`, {
        path: `parts[${index}].cap`,
        rule: 'non-negative',
        id,
      });
    }
  }
  weights[index] = weightNumber;
  caps[index] = capNumber;
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
function wins<R extends bigint | number>(parts: readonly SplitPart[], remainders: ArrayLike<R>, a: number, b: number): boolean {
  const ra = remainders[a]!;
  const rb = remainders[b]!;
  if (ra !== rb) return ra > rb;
  const pa = parts[a]!;
  const pb = parts[b]!;
  if (pa.priority !== pb.priority) return pa.priority < pb.priority;
  return pa.id < pb.id;
}

function byTieBreak<R extends bigint | number>(
  parts: readonly SplitPart[],
  remainders: ArrayLike<R>,
): (a: number, b: number) => number {
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
  if (!(BigInt(candidates.length) > leftover)) {
    invariant(false, 'more leftover units than parts with a remainder', { leftover: leftover.toString() });
  }
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

/** The invariants of every split, checked before anyone books it; details are built only on failure. */
function checkAmounts(parts: readonly SplitPart[], amounts: readonly bigint[], total: bigint): void {
  let sum = 0n;
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    const amount = amounts[i]!;
    if (!(amount >= 0n && (part.cap === undefined || amount <= part.cap) && (part.weight > 0n || amount === 0n))) {
      invariant(false, 'a split part is negative, above its cap or given to a weight of zero', {
        id: part.id,
        amount: amount.toString(),
      });
    }
    sum += amount;
  }
  if (sum !== total) {
    invariant(false, 'split parts do not sum to the total', { total: total.toString(), sum: sum.toString() });
  }
}
