import { describe, expect, it, vi } from 'vitest';
import { RuleViolation, StateConflict, NotFound, ValidationError } from '../../../../shared/domain/errors.ts';
import type { PlanLine } from '../../../../shared/domain/allocation.ts';
import { validate } from '../../../../shared/contracts/validate.ts';
import { createApplicationRequest, decisionRequest, disbursementRequest } from '../../../../shared/contracts/schemas.ts';
import { WriteConflict, type ApplicationStore } from '../../../../shared/ports/stores.ts';
import { createApplication, decide, getApplication, listApplications, reportDisbursement, resumeReview, startReview, timelineWithDecisions } from '../../../../functions/applications/use-case.ts';
import {
  APPLICATION_ID,
  LEAD_ID,
  NOW,
  PARTNER_A,
  PARTNER_B,
  PROGRAM_ID,
  REVIEW_DEADLINE,
  aPartnerDecision,
  aProgram,
  anApplication,
  anApplicationRecord,
  anAsk,
  approveBody,
  createApplicationBody,
  declineBody,
  defaultLenders,
  financeOf,
  leadOps,
  partnerOf,
  platformFinance,
  type JsonBody,
} from '../../../support/builders.ts';
import { rejectedBy } from '../../../support/expect-error.ts';
import { identityHashOf } from '../../../../shared/use-cases/personal-data.ts';
import { createInMemoryStores, sealFor, seed, seedApplication, type InMemoryStores } from '../../../support/in-memory-stores.ts';

const SCOPE = 'createApplication#lead-ops-client#key-0001';
const LATER = '2025-03-01T08:00:00.000Z';

function seeded(): InMemoryStores {
  const stores = createInMemoryStores();
  seed(stores, { lenders: defaultLenders(), programs: [aProgram()] });
  return stores;
}

async function create(stores: InMemoryStores, body: JsonBody = createApplicationBody(), scope = SCOPE): Promise<void> {
  await createApplication(stores, validate(createApplicationRequest, body), sealFor(scope), NOW);
}

/** Both partners asked in round 1; partner B has already approved. */
function inReview(stores: InMemoryStores): void {
  seedApplication(
    stores,
    anApplicationRecord({
      timeline: [
        { at: NOW, step: 'Submitted', event: 'SUBMITTED', detail: {} },
        { at: NOW, step: 'ChooseCandidates#1', event: 'PARTNERS_ASKED', detail: { lenderIds: [PARTNER_A, PARTNER_B] } },
        { at: NOW, step: `Decision#${PARTNER_B}#1`, event: 'PARTNER_APPROVED', detail: { lenderId: PARTNER_B } },
      ],
    }),
    [
      { ...anAsk(), taskToken: 'token-a' },
      { ...anAsk({ lenderId: PARTNER_B, priority: 2, state: 'APPROVED', decision: aPartnerDecision({ decidedBy: 'partner-b-client' }) }), taskToken: 'token-b' },
    ],
  );
}

const decision = (body: JsonBody) => validate(decisionRequest, body);

describe('createApplication', () => {
  it('stores the application IN_REVIEW under the latest program version, with its SUBMITTED event and the 202', async () => {
    const stores = seeded();
    await create(stores);
    const record = await stores.applications.get(APPLICATION_ID);
    expect(record).toEqual({
      application: anApplication(),
      status: 'IN_REVIEW',
      round: 0,
      plan: null,
      reasons: [],
      dropped: [],
      timeline: [{ at: NOW, step: 'Submitted', event: 'SUBMITTED', detail: { programId: PROGRAM_ID, programVersion: 1, amountMinor: 1_000_000n, tags: [] } }],
      loanId: null,
    });
    const stored = stores.db.idempotency.get(SCOPE);
    expect(stored?.statusCode).toBe(202);
    expect(JSON.parse(stored?.responseBody ?? '')).toMatchObject({ application: { applicationId: APPLICATION_ID, amountMinor: '1000000' }, status: 'IN_REVIEW', asks: [] });
    expect(stores.db.transactions).toBe(1);
  });

  it('tags a small business borrower for inclusive lending', async () => {
    const stores = seeded();
    await create(stores, createApplicationBody({ borrower: { borrowerId: 'BRW-SME-1', type: 'BUSINESS', region: 'CN-44' } }));
    expect((await stores.applications.get(APPLICATION_ID))?.timeline[0]?.detail.tags).toEqual(['INCLUSIVE_SMALL_BUSINESS']);
  });

  it("refuses an application beyond the borrower's unsecured cap across its loans, and stores nothing", async () => {
    const stores = seeded();
    seed(stores, { exposures: [{ borrowerId: 'BRW-0001', unsecuredPersonalOutstandingMinor: 19_500_000n, totalOutstandingMinor: 19_500_000n, perLenderMinor: {}, version: 3 }] });
    const error = await rejectedBy(RuleViolation, () => create(stores));
    expect([error.code, error.details.existingMinor, error.details.requestedMinor]).toEqual(['UNSECURED_PERSONAL_CAP', '19500000', '1000000']);
    expect([stores.db.applications.size, stores.db.idempotency.size, stores.db.transactions]).toEqual([0, 0, 0]);
  });

  it('counts what the borrower owes now: RMB 195,000.00 booked of which 190,000.00 repaid since leaves room for 10,000.00 more', async () => {
    const stores = seeded();
    seed(stores, { exposures: [{ borrowerId: 'BRW-0001', unsecuredPersonalOutstandingMinor: 19_500_000n, totalOutstandingMinor: 19_500_000n, perLenderMinor: {}, version: 3 }] });
    stores.db.borrowerPrincipals.set('BRW-0001', { borrowerId: 'BRW-0001', unsecuredPersonalMovedMinor: -19_000_000n, totalMovedMinor: -19_000_000n, perLenderMovedMinor: {} });
    await create(stores);
    expect(stores.db.applications.size).toBe(1);
    // 5,000.01 owed and 195,000.00 asked: one fen over the cap, refused on what is owed, not on what was booked.
    stores.db.borrowerPrincipals.set('BRW-0001', { borrowerId: 'BRW-0001', unsecuredPersonalMovedMinor: -19_000_000n + 1n, totalMovedMinor: -19_000_000n + 1n, perLenderMovedMinor: {} });
    const error = await rejectedBy(RuleViolation, () => create(stores, createApplicationBody({ applicationId: 'APP-2025-000002', amountMinor: '19500000' }), 'scope-2'));
    expect([error.code, error.details.existingMinor, error.details.totalMinor]).toEqual(['UNSECURED_PERSONAL_CAP', '500001', '20000001']);
  });

  it('refuses an unknown program, another currency or an amount outside the program, and stores nothing', async () => {
    const stores = seeded();
    expect((await rejectedBy(RuleViolation, () => create(stores, createApplicationBody({ programId: 'NONE' })))).code).toBe('UNKNOWN_PROGRAM');
    expect((await rejectedBy(RuleViolation, () => create(stores, createApplicationBody({ currency: 'INR' })))).code).toBe('CURRENCY_MISMATCH');
    expect((await rejectedBy(RuleViolation, () => create(stores, createApplicationBody({ amountMinor: '99999' })))).code).toBe('AMOUNT_OUT_OF_RANGE');
    expect([stores.db.applications.size, stores.db.idempotency.size]).toEqual([0, 0]);
  });

  it('refuses an application id taken under another key, and changes nothing', async () => {
    const stores = seeded();
    await create(stores);
    const conflict = await rejectedBy(WriteConflict, () => create(stores, createApplicationBody({ amountMinor: '2000000' }), 'another-scope'));
    expect([conflict.reason, conflict.entity]).toEqual(['ALREADY_EXISTS', 'application']);
    expect((await stores.applications.get(APPLICATION_ID))?.application.amountMinor).toBe(1_000_000n);
  });
});

describe('createApplication, one person under several borrower ids', () => {
  const ID_NUMBER = '11010519491231002X';
  const withId = (applicationId: string, borrowerId: string, amountMinor = '1000000') =>
    createApplicationBody({ applicationId, amountMinor, borrower: { borrowerId, type: 'INDIVIDUAL', region: 'CN-44', personalData: { identityNumber: ID_NUMBER } } });

  it("refuses an application under a new id when the person's loans under another id fill the unsecured cap, and stores nothing", async () => {
    const stores = seeded();
    const hash = await identityHashOf(stores.personalData, ID_NUMBER);
    seed(stores, { exposures: [{ borrowerId: 'BRW-APP', unsecuredPersonalOutstandingMinor: 19_500_000n, totalOutstandingMinor: 19_500_000n, perLenderMinor: {}, version: 1, identityHash: hash }] });
    stores.db.persons.set(hash, { identityHash: hash, borrowerIds: ['BRW-APP'], version: 1 });
    const error = await rejectedBy(RuleViolation, () => create(stores, withId('APP-P2', 'BRW-WEB')));
    expect([error.code, error.details.existingMinor, error.details.requestedMinor, error.details.borrowerIds]).toEqual(['UNSECURED_PERSONAL_CAP', '19500000', '1000000', ['BRW-WEB', 'BRW-APP']]);
    expect([stores.db.applications.size, stores.db.idempotency.size, stores.db.personRefs.size, stores.db.transactions]).toEqual([0, 0, 0, 0]);
    expect(stores.db.persons.get(hash)).toEqual({ identityHash: hash, borrowerIds: ['BRW-APP'], version: 1 });
    // Within the cap, the same application is taken, its id linked to the person and listed under it, without raising the version.
    await create(stores, withId('APP-P3', 'BRW-WEB', '500000'), 'scope-3');
    expect(stores.db.persons.get(hash)).toEqual({ identityHash: hash, borrowerIds: ['BRW-APP', 'BRW-WEB'], version: 1 });
    expect([...stores.db.personRefs.values()]).toEqual([{ identityHash: hash, kind: 'APPLICATION', id: 'APP-P3', borrowerId: 'BRW-WEB', programId: PROGRAM_ID, at: NOW }]);
  });

  it('keeps nothing of the identity number in clear: the person and its list hold the hash only', async () => {
    const stores = seeded();
    await create(stores, withId('APP-P1', 'BRW-APP'));
    const stored = JSON.stringify([...stores.db.persons.values(), ...stores.db.personRefs.values()], (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
    expect(stored).not.toContain(ID_NUMBER);
    expect(stored).toContain('hmac-sha256:');
  });
});

describe('startReview', () => {
  it('starts the review named by the application, from round 1', async () => {
    const stores = seeded();
    await startReview(stores, APPLICATION_ID);
    expect(stores.review.starts).toEqual([{ name: APPLICATION_ID, input: { applicationId: APPLICATION_ID, round: 1 } }]);
  });
});

describe('getApplication', () => {
  const plan: PlanLine[] = [
    { lenderId: LEAD_ID, role: 'LEAD', amountMinor: 700_000n },
    { lenderId: PARTNER_B, role: 'PARTNER', amountMinor: 300_000n },
  ];

  function planned(): InMemoryStores {
    const stores = seeded();
    inReview(stores);
    const stored = stores.db.applications.get(APPLICATION_ID);
    if (!stored) throw new Error('not seeded');
    stored.record = {
      ...stored.record,
      status: 'PLANNED',
      plan,
      reasons: [
        { lenderId: LEAD_ID, amountMinor: 700_000n, because: 'the lead funds the rest', figures: {} },
        { lenderId: PARTNER_A, amountMinor: 0n, because: 'declined', figures: {} },
        { lenderId: PARTNER_B, amountMinor: 300_000n, because: 'approved', figures: {} },
        { lenderId: null, amountMinor: 1_000_000n, because: 'the plan sums', figures: {} },
      ],
    };
    return stores;
  }

  it('shows lead operations and platform finance everything: every ask, the whole plan and timeline', async () => {
    const stores = planned();
    for (const principal of [leadOps, platformFinance]) {
      const view = await getApplication(stores, principal, APPLICATION_ID);
      expect(view.asks.map((a) => a.lenderId)).toEqual([PARTNER_A, PARTNER_B]);
      expect(view.plan).toEqual(plan);
      expect(view.reasons).toHaveLength(4);
      expect(view.timeline).toHaveLength(3);
      expect(view.asks.some((a) => 'taskToken' in a)).toBe(false);
    }
  });

  it('shows a partner only its own ask, its own plan line, its own reasons and the events about it or the whole loan', async () => {
    const stores = planned();
    const b = await getApplication(stores, partnerOf(PARTNER_B), APPLICATION_ID);
    expect(b.asks.map((a) => [a.lenderId, a.state])).toEqual([[PARTNER_B, 'APPROVED']]);
    expect(b.plan).toEqual([{ lenderId: PARTNER_B, role: 'PARTNER', amountMinor: 300_000n }]);
    expect(b.reasons.map((r) => r.lenderId)).toEqual([PARTNER_B]);
    expect(b.timeline.map((e) => e.event)).toEqual(['SUBMITTED', 'PARTNERS_ASKED', 'PARTNER_APPROVED']);
    const a = await getApplication(stores, financeOf(PARTNER_A), APPLICATION_ID);
    expect([a.asks.map((x) => x.lenderId), a.plan, a.timeline.map((e) => e.event)]).toEqual([[PARTNER_A], [], ['SUBMITTED', 'PARTNERS_ASKED']]);
  });

  it('answers 404 to a lender that was not asked, exactly as for an application that does not exist', async () => {
    const stores = planned();
    const hidden = await rejectedBy(NotFound, () => getApplication(stores, partnerOf('PARTNER-C'), APPLICATION_ID));
    const missing = await rejectedBy(NotFound, () => getApplication(stores, leadOps, 'APP-NONE'));
    expect([hidden.message, hidden.details]).toEqual([`application ${APPLICATION_ID} was not found`, { applicationId: APPLICATION_ID }]);
    expect([missing.message]).toEqual(['application APP-NONE was not found']);
  });
});

describe('listApplications', () => {
  function several(): InMemoryStores {
    const stores = seeded();
    inReview(stores);
    seedApplication(stores, anApplicationRecord({ application: anApplication({ applicationId: 'APP-2', createdAt: LATER }), status: 'PLANNED' }));
    seedApplication(stores, anApplicationRecord({ application: anApplication({ applicationId: 'APP-3', createdAt: LATER }) }), [
      { ...anAsk({ applicationId: 'APP-3', deadline: '2025-03-01T12:00:00.000Z' }), taskToken: null },
    ]);
    return stores;
  }

  it("lists the lead's applications in review by default, or in the status asked", async () => {
    const stores = several();
    expect(await listApplications(stores, leadOps, undefined, { limit: 50 })).toEqual({
      applications: [
        { applicationId: APPLICATION_ID, status: 'IN_REVIEW', amountMinor: 1_000_000n, createdAt: NOW },
        { applicationId: 'APP-3', status: 'IN_REVIEW', amountMinor: 1_000_000n, createdAt: LATER },
      ],
      cursor: null,
    });
    expect((await listApplications(stores, leadOps, 'PLANNED', { limit: 50 })).applications.map((a) => a.applicationId)).toEqual(['APP-2']);
    expect((await listApplications(stores, leadOps, 'BOOKED', { limit: 50 })).applications).toEqual([]);
  });

  it('pages the lead\'s applications and a partner\'s open asks, one a page, each once', async () => {
    const stores = several();
    const lead = await listApplications(stores, leadOps, undefined, { limit: 1 });
    const leadNext = await listApplications(stores, leadOps, undefined, { limit: 1, cursor: lead.cursor ?? '' });
    expect([...lead.applications, ...leadNext.applications].map((a) => a.applicationId)).toEqual([APPLICATION_ID, 'APP-3']);
    const partner = await listApplications(stores, partnerOf(PARTNER_A), undefined, { limit: 1 });
    const partnerNext = await listApplications(stores, partnerOf(PARTNER_A), undefined, { limit: 1, cursor: partner.cursor ?? '' });
    expect([...partner.applications, ...partnerNext.applications].map((a) => a.applicationId)).toEqual(['APP-3', APPLICATION_ID]);
    const other = await rejectedBy(ValidationError, () => listApplications(stores, partnerOf(PARTNER_B), undefined, { limit: 1, cursor: partner.cursor ?? '' }));
    expect(other.details).toEqual({ path: 'cursor', rule: 'cursor' });
  });

  it('lists for a partner what awaits its decision, soonest deadline first, and nothing already decided', async () => {
    const stores = several();
    expect(await listApplications(stores, partnerOf(PARTNER_A), undefined, { limit: 50 })).toEqual({
      applications: [
        { applicationId: 'APP-3', askedAmountMinor: 300_000n, minimumAmountMinor: 300_000n, deadline: '2025-03-01T12:00:00.000Z' },
        { applicationId: APPLICATION_ID, askedAmountMinor: 300_000n, minimumAmountMinor: 300_000n, deadline: REVIEW_DEADLINE },
      ],
      cursor: null,
    });
    expect((await listApplications(stores, partnerOf(PARTNER_B), undefined, { limit: 50 })).applications).toEqual([]);
    expect((await listApplications(stores, partnerOf(PARTNER_A), 'PLANNED', { limit: 50 })).applications).toEqual([]);
  });
});

describe('decide', () => {
  it('stores the decision once, with who decided and when, its event and the 201', async () => {
    const stores = seeded();
    inReview(stores);
    const partner = partnerOf(PARTNER_A);
    await decide(stores, partner, APPLICATION_ID, decision(approveBody('300000', { conditions: ['salary account'] })), sealFor('decide-scope', LATER), LATER);
    const ask = await stores.applications.ask(APPLICATION_ID, PARTNER_A);
    expect(ask).toEqual({
      ...anAsk(),
      state: 'APPROVED',
      decision: { decision: 'APPROVE', approvedAmountMinor: 300_000n, conditions: ['salary account'], reasonCodes: [], comment: null, decidedBy: partner.clientId, decidedAt: LATER },
      taskToken: 'token-a',
    });
    expect((await stores.applications.get(APPLICATION_ID))?.timeline.map((e) => e.step)).not.toContain(`Decision#${PARTNER_A}#1`);
    expect((await getApplication(stores, partner, APPLICATION_ID)).timeline.at(-1)).toEqual({
      at: LATER,
      step: `Decision#${PARTNER_A}#1`,
      event: 'PARTNER_APPROVED',
      detail: { lenderId: PARTNER_A, round: 1, approvedAmountMinor: 300_000n, reasonCodes: [], decidedBy: partner.clientId },
    });
    const record = stores.db.idempotency.get('decide-scope');
    expect([record?.statusCode, JSON.parse(record?.responseBody ?? '{}').state]).toEqual([201, 'APPROVED']);
    expect((await stores.applications.awaiting(PARTNER_A)).items).toEqual([]);
  });

  it('stores a decline with its reason codes', async () => {
    const stores = seeded();
    inReview(stores);
    await decide(stores, partnerOf(PARTNER_A), APPLICATION_ID, decision(declineBody()), sealFor('decline-scope'), LATER);
    expect((await getApplication(stores, partnerOf(PARTNER_A), APPLICATION_ID)).timeline.at(-1)).toMatchObject({ event: 'PARTNER_DECLINED', detail: { reasonCodes: ['INCOME_INSUFFICIENT'] } });
  });

  it('refuses a second decision with 409 DECISION_ALREADY_MADE, and changes nothing', async () => {
    const stores = seeded();
    inReview(stores);
    await decide(stores, partnerOf(PARTNER_A), APPLICATION_ID, decision(approveBody()), sealFor('first'), LATER);
    const error = await rejectedBy(StateConflict, () => decide(stores, partnerOf(PARTNER_A), APPLICATION_ID, decision(declineBody()), sealFor('second'), LATER));
    expect(error.code).toBe('DECISION_ALREADY_MADE');
    expect(stores.db.idempotency.has('second')).toBe(false);
    expect((await stores.applications.ask(APPLICATION_ID, PARTNER_A))?.state).toBe('APPROVED');
  });

  it('refuses a decision after the deadline with 409 REVIEW_CLOSED, and an amount outside the ask with 422', async () => {
    const stores = seeded();
    inReview(stores);
    const closed = await rejectedBy(StateConflict, () => decide(stores, partnerOf(PARTNER_A), APPLICATION_ID, decision(approveBody()), sealFor('late'), REVIEW_DEADLINE));
    expect(closed.code).toBe('REVIEW_CLOSED');
    const above = await rejectedBy(RuleViolation, () => decide(stores, partnerOf(PARTNER_A), APPLICATION_ID, decision(approveBody('300001')), sealFor('above'), LATER));
    expect(above.code).toBe('APPROVAL_ABOVE_ASKED');
    expect(stores.db.transactions).toBe(0);
  });

  it('answers 404 to a lender that was not asked, and to an application that does not exist', async () => {
    const stores = seeded();
    inReview(stores);
    const stranger = await rejectedBy(NotFound, () => decide(stores, partnerOf('PARTNER-C'), APPLICATION_ID, decision(approveBody()), sealFor('x'), LATER));
    expect([stranger.message]).toEqual([`application ${APPLICATION_ID} was not found`]);
    expect((await rejectedBy(NotFound, () => decide(stores, partnerOf(PARTNER_A), 'APP-NONE', decision(approveBody()), sealFor('y'), LATER))).code).toBe('NOT_FOUND');
  });

  it('refuses with the reason of the ask as it is now when it was decided between the read and the write', async () => {
    const stores = seeded();
    inReview(stores);
    const pending = await stores.applications.ask(APPLICATION_ID, PARTNER_A);
    // Another request of the partner decides first; this one still read the ask PENDING.
    await decide(stores, partnerOf(PARTNER_A), APPLICATION_ID, decision(declineBody()), sealFor('winner'), LATER);
    let reads = 0;
    const applications: ApplicationStore = Object.assign(Object.create(stores.applications) as ApplicationStore, {
      ask: async (applicationId: string, lenderId: string) => (reads++ === 0 ? pending : stores.applications.ask(applicationId, lenderId)),
    });
    const error = await rejectedBy(StateConflict, () => decide({ ...stores, applications }, partnerOf(PARTNER_A), APPLICATION_ID, decision(approveBody()), sealFor('loser'), LATER));
    expect([error.code, error.details.state]).toEqual(['DECISION_ALREADY_MADE', 'DECLINED']);
    expect(stores.db.idempotency.has('loser')).toBe(false);
  });
});

describe('resumeReview', () => {
  it("hands the stored decision to the review with the ask's task token", async () => {
    const stores = seeded();
    inReview(stores);
    await decide(stores, partnerOf(PARTNER_A), APPLICATION_ID, decision(approveBody()), sealFor('s'), LATER);
    await resumeReview(stores, APPLICATION_ID, PARTNER_A);
    expect(stores.tasks.succeeded).toEqual([{ taskToken: 'token-a', output: { lenderId: PARTNER_A, decision: 'APPROVE', approvedAmountMinor: 300_000n } }]);
  });

  it('resumes with the token the ask held when the decision was taken, and reads the ask again only if that token no longer waits', async () => {
    const stores = seeded();
    inReview(stores);
    const stored = await decide(stores, partnerOf(PARTNER_A), APPLICATION_ID, decision(approveBody()), sealFor('s'), LATER);
    expect(stored.taskToken).toBe('token-a');
    const reads = vi.spyOn(stores.applications, 'ask');
    await resumeReview(stores, APPLICATION_ID, PARTNER_A, stored);
    expect(reads).not.toHaveBeenCalled();
    reads.mockRestore();
    expect(stores.tasks.succeeded).toEqual([{ taskToken: 'token-a', output: { lenderId: PARTNER_A, decision: 'APPROVE', approvedAmountMinor: 300_000n } }]);
    // Asked again since (a retried ask step keeps a new token): the stale token is refused, the ask's token resumes.
    await stores.applications.setAskToken(APPLICATION_ID, PARTNER_A, 'token-a2');
    stores.tasks.markGone('token-a');
    await resumeReview(stores, APPLICATION_ID, PARTNER_A, stored);
    expect(stores.tasks.succeeded.map((s) => s.taskToken)).toEqual(['token-a', 'token-a2']);
  });

  it('does nothing for an open ask, an ask without a token yet, or no ask; a review that stopped waiting is no error', async () => {
    const stores = seeded();
    inReview(stores);
    await resumeReview(stores, APPLICATION_ID, PARTNER_A);
    await resumeReview(stores, APPLICATION_ID, 'PARTNER-C');
    seedApplication(stores, anApplicationRecord({ application: anApplication({ applicationId: 'APP-2' }) }), [
      { ...anAsk({ applicationId: 'APP-2', state: 'DECLINED', decision: aPartnerDecision({ decision: 'DECLINE', approvedAmountMinor: null }) }), taskToken: null },
    ]);
    await resumeReview(stores, 'APP-2', PARTNER_A);
    expect(stores.tasks.succeeded).toEqual([]);
    stores.tasks.markGone('token-b');
    await expect(resumeReview(stores, APPLICATION_ID, PARTNER_B)).resolves.toBeUndefined();
  });
});

describe('reportDisbursement', () => {
  function awaiting(status: 'AWAITING_DISBURSEMENT' | 'PLANNED' = 'AWAITING_DISBURSEMENT'): InMemoryStores {
    const stores = seeded();
    seedApplication(stores, anApplicationRecord({ status }));
    const stored = stores.db.applications.get(APPLICATION_ID);
    if (stored) stored.disbursementTaskToken = 'token-d';
    return stores;
  }
  const report = (body: JsonBody) => validate(disbursementRequest, body);

  it('DISBURSED resumes the saga with the reference and date, and records the 202', async () => {
    const stores = awaiting();
    await reportDisbursement(stores, APPLICATION_ID, report({ outcome: 'DISBURSED', disbursementReference: 'DISB-1', disbursementDate: '2025-03-03' }), sealFor('d'), LATER);
    expect(stores.tasks.succeeded).toEqual([{ taskToken: 'token-d', output: { applicationId: APPLICATION_ID, disbursementReference: 'DISB-1', disbursementDate: '2025-03-03' } }]);
    expect(stores.tasks.failed).toEqual([]);
    expect(JSON.parse(stores.db.idempotency.get('d')?.responseBody ?? '')).toEqual({ applicationId: APPLICATION_ID, outcome: 'DISBURSED', acceptedAt: LATER });
    expect(stores.db.idempotency.get('d')?.statusCode).toBe(202);
  });

  it('FAILED fails the wait with DisbursementFailed, CANCELLED with DisbursementCancelled, the reason as cause', async () => {
    const failed = awaiting();
    await reportDisbursement(failed, APPLICATION_ID, report({ outcome: 'FAILED', reason: 'the account is frozen' }), sealFor('f'), LATER);
    expect(failed.tasks.failed).toEqual([{ taskToken: 'token-d', error: 'DisbursementFailed', cause: 'the account is frozen' }]);
    const cancelled = awaiting();
    await reportDisbursement(cancelled, APPLICATION_ID, report({ outcome: 'CANCELLED', reason: 'the borrower withdrew' }), sealFor('c'), LATER);
    expect(cancelled.tasks.failed).toEqual([{ taskToken: 'token-d', error: 'DisbursementCancelled', cause: 'the borrower withdrew' }]);
    expect([failed.tasks.succeeded, cancelled.tasks.succeeded]).toEqual([[], []]);
  });

  it("refuses a disbursement dated before the program's start with 400 DATE_OUT_OF_WINDOW, resuming nothing and recording nothing", async () => {
    const stores = createInMemoryStores();
    seed(stores, { lenders: defaultLenders(), programs: [aProgram({ startDate: '2025-03-01' })] });
    seedApplication(stores, anApplicationRecord({ status: 'AWAITING_DISBURSEMENT' }));
    stores.db.applications.get(APPLICATION_ID)!.disbursementTaskToken = 'token-d';
    const error = await rejectedBy(ValidationError, () =>
      reportDisbursement(stores, APPLICATION_ID, report({ outcome: 'DISBURSED', disbursementReference: 'DISB-1', disbursementDate: '2025-02-28' }), sealFor('s'), LATER),
    );
    expect([error.code, error.details]).toEqual(['DATE_OUT_OF_WINDOW', { path: 'disbursementDate', field: 'disbursementDate', rule: 'program-start', from: '2025-03-01', to: '2025-03-01' }]);
    expect([stores.tasks.succeeded, stores.db.idempotency.has('s')]).toEqual([[], false]);
  });

  it('refuses an application not awaiting its disbursement with 409 NOT_AWAITING_DISBURSEMENT, and records nothing', async () => {
    const stores = awaiting('PLANNED');
    const error = await rejectedBy(StateConflict, () =>
      reportDisbursement(stores, APPLICATION_ID, report({ outcome: 'DISBURSED', disbursementReference: 'DISB-1', disbursementDate: '2025-03-03' }), sealFor('p'), LATER),
    );
    expect([error.code, error.details]).toEqual(['NOT_AWAITING_DISBURSEMENT', { applicationId: APPLICATION_ID, status: 'PLANNED' }]);
    expect([stores.tasks.succeeded, stores.db.idempotency.has('p')]).toEqual([[], false]);
  });

  it('refuses with 409 when the saga stopped waiting (expired) in between, and records nothing', async () => {
    const stores = awaiting();
    stores.tasks.markGone('token-d');
    const error = await rejectedBy(StateConflict, () => reportDisbursement(stores, APPLICATION_ID, report({ outcome: 'CANCELLED', reason: 'late' }), sealFor('g'), LATER));
    expect(error.code).toBe('NOT_AWAITING_DISBURSEMENT');
    expect(stores.db.idempotency.has('g')).toBe(false);
  });

  it('answers 404 for an application that does not exist', async () => {
    const stores = seeded();
    expect((await rejectedBy(NotFound, () => reportDisbursement(stores, 'APP-NONE', report({ outcome: 'FAILED', reason: 'x' }), sealFor('n'), LATER))).code).toBe('NOT_FOUND');
  });
});

describe('timelineWithDecisions', () => {
  const event = (at: string, step: string, name: string) => ({ at, step, event: name, detail: {} });
  const approved = (lenderId: string, round: number, decidedAt: string) =>
    anAsk({ lenderId, round, state: 'APPROVED', decision: aPartnerDecision({ decidedAt, decidedBy: `${lenderId}-client` }) });

  it("puts each decision after its round's asks and before its round's allocation, in time order, even at the same instant", () => {
    const t = '2025-03-01T10:00:00.000Z';
    const timeline = [event(t, 'Submitted', 'SUBMITTED'), event(t, 'ChooseCandidates#1', 'PARTNERS_ASKED'), event(t, 'Allocate#1', 'PLANNED')];
    const shown = timelineWithDecisions(timeline, [approved(PARTNER_B, 1, t), approved(PARTNER_A, 1, t)]);
    expect(shown.map((e) => e.step)).toEqual(['Submitted', 'ChooseCandidates#1', `Decision#${PARTNER_B}#1`, `Decision#${PARTNER_A}#1`, 'Allocate#1']);
    expect(shown[3]).toEqual({
      at: t,
      step: `Decision#${PARTNER_A}#1`,
      event: 'PARTNER_APPROVED',
      detail: { lenderId: PARTNER_A, round: 1, approvedAmountMinor: 300_000n, reasonCodes: [], decidedBy: `${PARTNER_A}-client` },
    });
  });

  it('places a decision among its round\'s events by time, a later round after the first, and never repeats a decision the timeline holds', () => {
    const timeline = [
      event('2025-03-01T10:00:00.000Z', 'ChooseCandidates#1', 'PARTNERS_ASKED'),
      event('2025-03-01T10:00:01.000Z', `Decision#${PARTNER_A}#1`, 'PARTNER_APPROVED'),
      event('2025-03-01T10:00:02.000Z', `Timeout#${PARTNER_B}#1`, 'PARTNER_TIMED_OUT'),
      event('2025-03-01T10:00:03.000Z', 'Allocate#1', 'MORE_PARTNERS_NEEDED'),
      event('2025-03-01T10:00:03.000Z', 'ChooseCandidates#2', 'PARTNERS_ASKED'),
    ];
    const asks = [approved(PARTNER_A, 1, '2025-03-01T10:00:01.000Z'), approved('PARTNER-D', 1, '2025-03-01T10:00:02.500Z'), approved('PARTNER-C', 2, '2025-03-01T10:00:04.000Z')];
    expect(timelineWithDecisions(timeline, asks).map((e) => e.step)).toEqual([
      'ChooseCandidates#1',
      `Decision#${PARTNER_A}#1`,
      `Timeout#${PARTNER_B}#1`,
      'Decision#PARTNER-D#1',
      'Allocate#1',
      'ChooseCandidates#2',
      'Decision#PARTNER-C#2',
    ]);
  });
});
