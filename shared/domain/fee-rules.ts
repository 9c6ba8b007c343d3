import { ValidationError } from './errors.ts';
import { Decimal } from './money/index.ts';

/**
 * A program's fee rules: who earns a fee, on what base, when it is billed, who pays it; and the
 * checks that refuse a rule the booking could not follow. docs/fees.md.
 */

export type FeeKind = 'SERVICE' | 'GUARANTEE' | 'SERVICE_PARTNER_SHARE' | 'OTHER';
export type FeeBase = 'OUTSTANDING_PRINCIPAL' | 'REPAYMENT_INTEREST' | 'FLAT';
export type FeePeriod = 'MONTHLY' | 'QUARTERLY' | 'PER_REPAYMENT';
export type FeePayer = { readonly kind: 'BORROWER' } | { readonly kind: 'DEDUCTED_FROM_INTEREST'; readonly lenders: 'ALL_PARTNERS' | readonly string[] };

/** What the rules read of a program's participants (program.ts's Participant). */
interface FeeParticipant {
  readonly lenderId: string;
  readonly role: string;
  readonly targetShareBps: number | null;
  readonly fixedAmountMinor: bigint | null;
  readonly minAmountMinor: bigint | null;
}

export interface FeeRule {
  readonly id: string;
  readonly kind: FeeKind;
  readonly payee: string;
  readonly base: FeeBase;
  /** OUTSTANDING_PRINCIPAL: annual rate; REPAYMENT_INTEREST: fraction of interest (at most 1). */
  readonly rate: string | null;
  /** FLAT: the amount per loan per period. */
  readonly amountMinor: bigint | null;
  readonly period: FeePeriod;
  readonly payer: FeePayer;
}

/** The fee settings of a program: explicit rules, and the older shorthand they replace. */
export interface FeeTerms {
  readonly serviceFeeRate: string | null;
  readonly guaranteeFeeRate: string | null;
  readonly guarantorLenderId: string | null;
  /** Absent on programs written before rules existed: no rules besides the shorthand. */
  readonly rules?: readonly FeeRule[];
}

/** The rules a program bills: its explicit rules, then the shorthand's (docs/fees.md, The shorthand). */
export function feeRulesOf(terms: { readonly leadLenderId: string; readonly fees: FeeTerms }): FeeRule[] {
  const rules = [...(terms.fees.rules ?? [])];
  const shorthand = (id: string, kind: FeeKind, payee: string, rate: string): FeeRule => ({
    id,
    kind,
    payee,
    base: 'OUTSTANDING_PRINCIPAL',
    rate,
    amountMinor: null,
    period: 'MONTHLY',
    payer: { kind: 'DEDUCTED_FROM_INTEREST', lenders: 'ALL_PARTNERS' },
  });
  const { serviceFeeRate, guaranteeFeeRate, guarantorLenderId } = terms.fees;
  if (serviceFeeRate !== null && !rules.some((r) => r.id === 'SERVICE')) rules.push(shorthand('SERVICE', 'SERVICE', terms.leadLenderId, serviceFeeRate));
  if (guaranteeFeeRate !== null && guarantorLenderId !== null && !rules.some((r) => r.id === 'GUARANTEE')) {
    rules.push(shorthand('GUARANTEE', 'GUARANTEE', guarantorLenderId, guaranteeFeeRate));
  }
  return rules;
}

/** The lenders that pay a rule out of their interest, in id order; empty for a borrower-paid rule. */
export function payersOf(rule: FeeRule, participants: readonly Pick<FeeParticipant, 'lenderId' | 'role'>[]): string[] {
  if (rule.payer.kind === 'BORROWER') return [];
  const named = rule.payer.lenders === 'ALL_PARTNERS' ? participants.filter((p) => p.role === 'PARTNER').map((p) => p.lenderId) : [...rule.payer.lenders];
  return named.filter((id) => id !== rule.payee).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

const PAYEE_ROLES: Readonly<Record<FeeKind, readonly string[]>> = {
  SERVICE: ['LEAD', 'GUARANTOR', 'SERVICE_PARTNER'],
  OTHER: ['LEAD', 'GUARANTOR', 'SERVICE_PARTNER'],
  GUARANTEE: ['GUARANTOR'],
  SERVICE_PARTNER_SHARE: ['SERVICE_PARTNER'],
};

/**
 * Refuses fee rules the booking could not follow, naming the field path and the rule
 * (docs/fees.md, Refusals).
 */
export function checkFeeRules(
  terms: { readonly leadLenderId: string; readonly fees: FeeTerms; readonly participants: readonly FeeParticipant[]; readonly waterfall: readonly string[] },
): void {
  terms.participants.forEach((p, i) => {
    if (p.role !== 'SERVICE_PARTNER') return;
    for (const field of ['targetShareBps', 'fixedAmountMinor', 'minAmountMinor'] as const) {
      if (p[field] !== null) {
        throw new ValidationError(`service partner ${p.lenderId} funds nothing: ${field} must be null`, { path: `participants.${i}.${field}`, rule: 'funds-nothing' });
      }
    }
  });
  if (terms.fees.guaranteeFeeRate !== null && terms.fees.guarantorLenderId === null) {
    throw new ValidationError('fees.guaranteeFeeRate needs fees.guarantorLenderId, the guarantor who earns it', { path: 'fees.guaranteeFeeRate', rule: 'guarantor-required' });
  }
  const seen = new Set<string>();
  (terms.fees.rules ?? []).forEach((rule, i) => {
    const path = `fees.rules.${i}`;
    const refuse = (field: string, rule_: string, message: string): never => {
      throw new ValidationError(`fee rule ${rule.id}: ${message}`, { path: `${path}${field === '' ? '' : `.${field}`}`, rule: rule_, feeRule: rule.id });
    };
    if (seen.has(rule.id)) refuse('id', 'unique', `the id is used by another rule`);
    seen.add(rule.id);
    const payee = terms.participants.find((p) => p.lenderId === rule.payee);
    if (payee === undefined) refuse('payee', 'participant', `payee ${rule.payee} is not a participant of the program`);
    if (!PAYEE_ROLES[rule.kind].includes(payee!.role)) {
      refuse('payee', 'payee-role', `a ${rule.kind} fee is earned by ${PAYEE_ROLES[rule.kind].join(' or ')}, not ${payee!.role} ${rule.payee}`);
    }
    if ((rule.base === 'REPAYMENT_INTEREST') !== (rule.period === 'PER_REPAYMENT')) {
      refuse('period', 'period-of-base', `base ${rule.base} is billed ${rule.base === 'REPAYMENT_INTEREST' ? 'PER_REPAYMENT' : 'MONTHLY or QUARTERLY'}, not ${rule.period}`);
    }
    if (rule.base === 'FLAT') {
      if (rule.amountMinor === null || rule.amountMinor <= 0n) refuse('amountMinor', 'required', 'a FLAT fee needs a positive amountMinor');
    } else if (rule.rate === null) {
      refuse('rate', 'required', `a ${rule.base} fee needs a rate`);
    } else if (rule.base === 'REPAYMENT_INTEREST' && new Decimal(rule.rate).gt(1)) {
      refuse('rate', 'at-most-one', `a fraction of interest is at most 1, not ${rule.rate}`);
    }
    if (rule.payer.kind === 'BORROWER') {
      // A period fee billed to the borrower is owed from its period's end, whatever the waterfall's order.
      if (rule.period !== 'PER_REPAYMENT') return;
      const feesAt = terms.waterfall.indexOf('FEES');
      if (feesAt < terms.waterfall.indexOf('OVERDUE_INTEREST') || feesAt < terms.waterfall.indexOf('CURRENT_INTEREST')) {
        refuse('payer', 'fees-after-interest', 'a borrower fee on the interest a payment pays needs FEES after both interest components of the waterfall');
      }
      return;
    }
    if (rule.payer.lenders === 'ALL_PARTNERS') return;
    rule.payer.lenders.forEach((lenderId, j) => {
      const payer = terms.participants.find((p) => p.lenderId === lenderId);
      if (payer === undefined || (payer.role !== 'LEAD' && payer.role !== 'PARTNER')) {
        refuse(`payer.lenders.${j}`, 'funding-participant', `${lenderId} is not a funding participant (LEAD or PARTNER) of the program`);
      }
      if (lenderId === rule.payee) refuse(`payer.lenders.${j}`, 'not-payee', `${lenderId} is the payee; it cannot pay itself`);
    });
  });
}
