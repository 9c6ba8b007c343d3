import { describe, expect, it } from 'vitest';
import { RuleViolation, StateConflict, ValidationError } from '../../../../shared/domain/errors.ts';
import { FINAL_STATUSES, decideAsk, outcomeOf, type DecisionInput } from '../../../../shared/domain/review.ts';
import { APPLICATION_ID, NOW, PARTNER_A, REVIEW_DEADLINE, aPartnerDecision, anAsk } from '../../../support/builders.ts';
import { thrownBy } from '../../../support/expect-error.ts';

const BY = 'partner-a-client';
const BEFORE_DEADLINE = '2025-03-02T01:59:59.999Z';

function approve(amountMinor: bigint | null, overrides: Partial<DecisionInput> = {}): DecisionInput {
  return { decision: 'APPROVE', approvedAmountMinor: amountMinor, conditions: [], reasonCodes: [], comment: null, ...overrides };
}

function decline(overrides: Partial<DecisionInput> = {}): DecisionInput {
  return { decision: 'DECLINE', approvedAmountMinor: null, conditions: [], reasonCodes: ['INCOME_INSUFFICIENT'], comment: null, ...overrides };
}

/** Asked 400,000, at least 300,000. */
const ask = anAsk({ askedAmountMinor: 400_000n, minimumAmountMinor: 300_000n });

describe('decideAsk', () => {
  it('approves an amount between the minimum and what was asked, with who decided and when', () => {
    const input = approve(350_000n, { conditions: ['salary account at the partner'], comment: 'ok' });
    expect(decideAsk(ask, input, BY, NOW)).toEqual({ ...ask, state: 'APPROVED', decision: { ...input, decidedBy: BY, decidedAt: NOW } });
  });

  it('approves exactly the amount asked and exactly the minimum, up to the last instant before the deadline', () => {
    expect(decideAsk(ask, approve(400_000n), BY, BEFORE_DEADLINE).decision?.approvedAmountMinor).toBe(400_000n);
    expect(decideAsk(ask, approve(300_000n), BY, NOW).decision?.approvedAmountMinor).toBe(300_000n);
  });

  it('refuses an approval above the amount asked: APPROVAL_ABOVE_ASKED with the figures', () => {
    const error = thrownBy(RuleViolation, () => decideAsk(ask, approve(400_001n), BY, NOW));
    expect([error.code, error.details]).toEqual(['APPROVAL_ABOVE_ASKED', { path: 'approvedAmountMinor', askedAmountMinor: '400000', approvedAmountMinor: '400001' }]);
  });

  it('refuses an approval below the minimum: APPROVAL_BELOW_MINIMUM with the figures', () => {
    const error = thrownBy(RuleViolation, () => decideAsk(ask, approve(299_999n), BY, NOW));
    expect([error.code, error.details]).toEqual(['APPROVAL_BELOW_MINIMUM', { path: 'approvedAmountMinor', minimumAmountMinor: '300000', approvedAmountMinor: '299999' }]);
  });

  it('refuses an approval without an amount', () => {
    const error = thrownBy(ValidationError, () => decideAsk(ask, approve(null), BY, NOW));
    expect(error.details).toEqual({ path: 'approvedAmountMinor', rule: 'required' });
  });

  it('declines with reason codes', () => {
    const decided = decideAsk(ask, decline(), BY, NOW);
    expect([decided.state, decided.decision?.reasonCodes, decided.decision?.approvedAmountMinor]).toEqual(['DECLINED', ['INCOME_INSUFFICIENT'], null]);
  });

  it('refuses a decline without reason codes, or with an amount', () => {
    expect(thrownBy(ValidationError, () => decideAsk(ask, decline({ reasonCodes: [] }), BY, NOW)).details).toEqual({ path: 'reasonCodes', rule: 'required-on-decline' });
    expect(thrownBy(ValidationError, () => decideAsk(ask, decline({ approvedAmountMinor: 1n }), BY, NOW)).details).toEqual({ path: 'approvedAmountMinor', rule: 'absent-on-decline' });
  });

  it('refuses a second decision: DECISION_ALREADY_MADE, whatever the second one says', () => {
    const decided = decideAsk(ask, approve(400_000n), BY, NOW);
    for (const again of [approve(300_000n), decline()]) {
      const error = thrownBy(StateConflict, () => decideAsk(decided, again, BY, NOW));
      expect([error.code, error.details]).toEqual(['DECISION_ALREADY_MADE', { applicationId: APPLICATION_ID, state: 'APPROVED', decidedAt: NOW }]);
    }
    const declined = decideAsk(ask, decline(), BY, NOW);
    expect(thrownBy(StateConflict, () => decideAsk(declined, approve(400_000n), BY, NOW)).details.state).toBe('DECLINED');
  });

  it('refuses a decision at or after the deadline: REVIEW_CLOSED', () => {
    for (const late of [REVIEW_DEADLINE, '2025-03-05T00:00:00.000Z']) {
      const error = thrownBy(StateConflict, () => decideAsk(ask, approve(400_000n), BY, late));
      expect([error.code, error.details]).toEqual(['REVIEW_CLOSED', { applicationId: APPLICATION_ID, deadline: REVIEW_DEADLINE }]);
    }
  });

  it('refuses a decision on an ask that timed out, even before its deadline: REVIEW_CLOSED', () => {
    const error = thrownBy(StateConflict, () => decideAsk({ ...ask, state: 'TIMED_OUT' }, approve(400_000n), BY, NOW));
    expect(error.code).toBe('REVIEW_CLOSED');
  });

  it('leaves the ask it was given unchanged', () => {
    const before = structuredClone(ask);
    decideAsk(ask, approve(400_000n), BY, NOW);
    expect(ask).toEqual(before);
  });
});

describe('outcomeOf', () => {
  it('an approval counts with its amount', () => {
    expect(outcomeOf(anAsk({ state: 'APPROVED', decision: aPartnerDecision({ approvedAmountMinor: 320_000n }) }))).toEqual({
      lenderId: PARTNER_A,
      decision: 'APPROVE',
      approvedAmountMinor: 320_000n,
    });
  });

  it('a decline is DECLINE; a timed-out or still open ask is TIMEOUT', () => {
    expect(outcomeOf(anAsk({ state: 'DECLINED', decision: aPartnerDecision({ decision: 'DECLINE', approvedAmountMinor: null }) }))).toEqual({ lenderId: PARTNER_A, decision: 'DECLINE' });
    expect(outcomeOf(anAsk({ state: 'TIMED_OUT' }))).toEqual({ lenderId: PARTNER_A, decision: 'TIMEOUT' });
    expect(outcomeOf(anAsk())).toEqual({ lenderId: PARTNER_A, decision: 'TIMEOUT' });
  });
});

describe('FINAL_STATUSES', () => {
  it('are the statuses an application never leaves', () => {
    expect([...FINAL_STATUSES].sort()).toEqual(['BOOKED', 'CANCELLED', 'DISBURSEMENT_FAILED', 'EXPIRED', 'REJECTED', 'REVIEW_FAILED']);
  });
});
