import { describe, expect, it } from 'vitest';
import { toJson } from '../../../../shared/json.ts';
import { validate } from '../../../../shared/contracts/validate.ts';
import { createApplicationRequest, decisionRequest } from '../../../../shared/contracts/schemas.ts';
import type { Lender } from '../../../../shared/domain/lender.ts';
import { createApplication, decide, getApplication } from '../../../../functions/applications/use-case.ts';
import { allocateRound, chooseRound, recordFailure, recordTimeout, runReviewStep } from '../../../../functions/review-steps/use-case.ts';
import { reviewStepInput } from '../../../../functions/review-steps/schema.ts';
import { InMemoryAuditStore } from '../../../support/in-memory-audit.ts';
import {
  APPLICATION_ID,
  LEAD_ID,
  NOW,
  PARTNER_A,
  PARTNER_B,
  REVIEW_DEADLINE,
  SHARD_ALLOTMENT_MINOR,
  aLimits,
  aParticipant,
  aPartnerLender,
  aProgram,
  aQuotaShard,
  approveBody,
  createApplicationBody,
  declineBody,
  defaultLenders,
  defaultParticipants,
  leadOps,
  partnerOf,
  type JsonBody,
} from '../../../support/builders.ts';
import { createInMemoryStores, sealFor, seed, type InMemoryStores } from '../../../support/in-memory-stores.ts';
import { identityHashOf } from '../../../../shared/use-cases/personal-data.ts';

const PARTNER_C = 'PARTNER-C';
const DECIDED_AT = '2025-03-01T09:00:00.000Z';

/** An application submitted to the default program (lead 40%, A and B 30% each), review not started. */
async function submitted(options: { lenders?: Lender[]; withPartnerC?: boolean } = {}): Promise<InMemoryStores> {
  const stores = createInMemoryStores();
  const participants = options.withPartnerC ? [...defaultParticipants(), aParticipant(PARTNER_C, 'PARTNER', null, { priority: 3 })] : defaultParticipants();
  seed(stores, { lenders: options.lenders ?? [...defaultLenders(), aPartnerLender(PARTNER_C)], programs: [aProgram({ participants })] });
  await createApplication(stores, validate(createApplicationRequest, createApplicationBody()), sealFor('create'), NOW);
  return stores;
}

async function answer(stores: InMemoryStores, lenderId: string, body: JsonBody): Promise<void> {
  await decide(stores, partnerOf(lenderId), APPLICATION_ID, validate(decisionRequest, body), sealFor(`decide-${lenderId}`), DECIDED_AT);
}

describe('chooseRound', () => {
  it('asks the partners the allocation needs, each for its part, with the deadline of the program', async () => {
    const stores = await submitted();
    expect(await chooseRound(stores, APPLICATION_ID, 1)).toEqual({
      applicationId: APPLICATION_ID,
      round: 1,
      asks: [
        { applicationId: APPLICATION_ID, lenderId: PARTNER_A, round: 1, timeoutSeconds: 86_400 },
        { applicationId: APPLICATION_ID, lenderId: PARTNER_B, round: 1, timeoutSeconds: 86_400 },
      ],
      outcome: 'ASK',
    });
    expect(await stores.applications.asks(APPLICATION_ID)).toEqual(
      [
        [PARTNER_A, 1],
        [PARTNER_B, 2],
      ].map(([lenderId, priority]) => ({
        applicationId: APPLICATION_ID,
        lenderId,
        round: 1,
        askedAmountMinor: 300_000n,
        minimumAmountMinor: 300_000n,
        priority,
        askedAt: NOW,
        deadline: REVIEW_DEADLINE,
        state: 'PENDING',
        decision: null,
      })),
    );
    const record = await stores.applications.get(APPLICATION_ID);
    expect([record?.status, record?.round, record?.dropped]).toEqual(['IN_REVIEW', 1, []]);
    expect(record?.timeline.at(-1)).toEqual({ at: NOW, step: 'ChooseCandidates#1', event: 'PARTNERS_ASKED', detail: { round: 1, lenderIds: [PARTNER_A, PARTNER_B], deadline: REVIEW_DEADLINE } });
    expect((await stores.applications.awaiting(PARTNER_A)).items).toEqual([APPLICATION_ID]);
  });

  it('run again for the same round, returns the same asks and writes nothing more', async () => {
    const stores = await submitted();
    const first = await chooseRound(stores, APPLICATION_ID, 1);
    const writes = stores.db.transactions;
    const asks = await stores.applications.asks(APPLICATION_ID);
    stores.clock.set('2025-03-01T03:00:00.000Z');
    expect(await chooseRound(stores, APPLICATION_ID, 1)).toEqual(first);
    expect(stores.db.transactions).toBe(writes);
    expect(await stores.applications.asks(APPLICATION_ID)).toEqual(asks);
    expect((await stores.applications.get(APPLICATION_ID))?.timeline.filter((e) => e.step === 'ChooseCandidates#1')).toHaveLength(1);
  });

  it("counts what every shard of a partner's quota holds: a partner with none left across its shards is dropped with the totals", async () => {
    const stores = await submitted();
    // Partner B: 12,499,875,000 committed and 125,000 reserved on each of its 8 shards, nothing left.
    const full = Array.from({ length: 8 }, (_, shard) =>
      aQuotaShard({ lenderId: PARTNER_B, shard, committedMinor: 12_499_875_000n, reservedMinor: 125_000n, committedByLeadMinor: { [LEAD_ID]: 12_499_875_000n }, version: 2 }),
    );
    // Partner A holds something on one shard only, which leaves it room.
    seed(stores, { quotas: [...full, aQuotaShard({ shard: 4, committedMinor: 5_000_000n, committedByLeadMinor: { [LEAD_ID]: 5_000_000n } })] });
    const round = await chooseRound(stores, APPLICATION_ID, 1);
    expect(round.asks.map((a) => a.lenderId)).toEqual([PARTNER_A]);
    const record = await stores.applications.get(APPLICATION_ID);
    expect(record?.dropped).toEqual([
      {
        lenderId: PARTNER_B,
        rule: 'EXPOSURE_QUOTA',
        reason: `${PARTNER_B} has 0 of its exposure quota left (quota 100000000000 - outstanding 99999000000 - reserved 1000000); it must fund at least 300000 (the CN-2021 partner floor of 30%)`,
        figures: { quotaMinor: '100000000000', outstandingMinor: '99999000000', reservedMinor: '1000000', remainingMinor: '0', minimumMinor: '300000' },
      },
    ]);
  });

  it("measures a partner on what it is owed now: committed to its quota less what its loans repaid since (its principal shards)", async () => {
    const stores = await submitted();
    const full = Array.from({ length: 8 }, (_, shard) =>
      aQuotaShard({ lenderId: PARTNER_B, shard, committedMinor: 12_499_875_000n, reservedMinor: 125_000n, committedByLeadMinor: { [LEAD_ID]: 12_499_875_000n }, version: 2 }),
    );
    seed(stores, { quotas: full });
    // 400,000.00 of partner B's loans were repaid since: 400,000.00 of its quota is free again.
    stores.db.principalShards.set(`${PARTNER_B}#${LEAD_ID}#06`, { lenderId: PARTNER_B, leadLenderId: LEAD_ID, shard: 6, movedMinor: -40_000_000n });
    const round = await chooseRound(stores, APPLICATION_ID, 1);
    expect(round.asks.map((a) => a.lenderId)).toEqual([PARTNER_A, PARTNER_B]);
    expect((await stores.applications.get(APPLICATION_ID))?.dropped).toEqual([]);
  });

  it('rejects when no partner can be asked: status REJECTED with the reasons and the dropped partners', async () => {
    const short = aLimits({ exposureQuotaMinor: 100_000n, perBorrowerCapMinor: 100_000n });
    const stores = await submitted({ lenders: [defaultLenders()[0] as Lender, aPartnerLender(PARTNER_A, { limits: short }), aPartnerLender(PARTNER_B, { limits: short })] });
    expect(await chooseRound(stores, APPLICATION_ID, 1)).toEqual({ applicationId: APPLICATION_ID, round: 1, asks: [], outcome: 'REJECT' });
    const record = await stores.applications.get(APPLICATION_ID);
    expect([record?.status, record?.round]).toEqual(['REJECTED', 1]);
    expect(record?.dropped.map((d) => [d.lenderId, d.rule])).toEqual([
      [PARTNER_A, 'EXPOSURE_QUOTA'],
      [PARTNER_B, 'EXPOSURE_QUOTA'],
    ]);
    expect(record?.reasons.at(-1)?.rule).toBe('NO_PARTNER_LEFT');
    expect(record?.timeline.at(-1)?.event).toBe('REJECTED');
    expect(stores.db.asks.size).toBe(0);
    expect(await chooseRound(stores, APPLICATION_ID, 1)).toEqual({ applicationId: APPLICATION_ID, round: 1, asks: [], outcome: 'REJECT' });
  });
});

describe('chooseRound, one person under several borrower ids', () => {
  it("drops a partner whose cap per borrower the person's loans under another id use up", async () => {
    const stores = createInMemoryStores();
    seed(stores, { lenders: [...defaultLenders(), aPartnerLender(PARTNER_C)], programs: [aProgram()] });
    const identityNumber = '11010519491231002X';
    const hash = await identityHashOf(stores.personalData, identityNumber);
    // Under BRW-APP the person owes partner A 49,800,000 of its 50,000,000 cap (secured, so no unsecured cap is near).
    seed(stores, { exposures: [{ borrowerId: 'BRW-APP', unsecuredPersonalOutstandingMinor: 0n, totalOutstandingMinor: 49_800_000n, perLenderMinor: { [PARTNER_A]: 49_800_000n }, version: 1, identityHash: hash }] });
    stores.db.persons.set(hash, { identityHash: hash, borrowerIds: ['BRW-APP'], version: 1 });
    const body = createApplicationBody({ borrower: { borrowerId: 'BRW-WEB', type: 'INDIVIDUAL', region: 'CN-44', personalData: { identityNumber } } });
    await createApplication(stores, validate(createApplicationRequest, body), sealFor('create'), NOW);
    await chooseRound(stores, APPLICATION_ID, 1);
    const dropped = (await stores.applications.get(APPLICATION_ID))?.dropped ?? [];
    expect(dropped.map((d) => [d.lenderId, d.rule])).toEqual([[PARTNER_A, 'PER_BORROWER_CAP']]);
  });
});

describe('the figures allocation judges a bank by', () => {
  /** Partner B holds 8,000.01 with the lead; its registration figures leave it room, a later report of 40,000.00 net tier-1 capital does not. */
  async function withLaterFigures(effectiveDate: string): Promise<InMemoryStores> {
    const stores = await submitted();
    seed(stores, { quotas: [aQuotaShard({ lenderId: PARTNER_B, shard: 0, committedMinor: 800_001n, committedByLeadMinor: { [LEAD_ID]: 800_001n } })] });
    stores.regulatoryFigures.stored.set(`${PARTNER_B}#${effectiveDate}#1`, {
      lenderId: PARTNER_B,
      effectiveDate,
      version: 1,
      netTier1CapitalMinor: 4_000_000n,
      totalLoansMinor: 400_000_000_000_000n,
      source: 'capital notice',
      setBy: 'lead-ops',
      setAt: NOW,
    });
    return stores;
  }

  it('are those in force today in the program\'s calendar: a partner over 25% of its net tier-1 capital then is dropped', async () => {
    const stores = await withLaterFigures('2025-03-01');
    const round = await chooseRound(stores, APPLICATION_ID, 1);
    expect(round.asks.map((a) => a.lenderId)).toEqual([PARTNER_A]);
    const record = await stores.applications.get(APPLICATION_ID);
    expect(record?.dropped).toMatchObject([
      { lenderId: PARTNER_B, rule: 'SINGLE_PARTNER_TIER1_CAP', figures: { netTier1CapitalMinor: '4000000', capMinor: '1000000', jointWithLeadMinor: '800001', remainingMinor: '199999', minimumMinor: '300000' } },
    ]);
  });

  it('are not figures effective from tomorrow', async () => {
    const stores = await withLaterFigures('2025-03-02');
    const round = await chooseRound(stores, APPLICATION_ID, 1);
    expect(round.asks.map((a) => a.lenderId)).toEqual([PARTNER_A, PARTNER_B]);
  });
});

describe('recordTimeout', () => {
  it('marks a partner that did not answer TIMED_OUT and reports it so', async () => {
    const stores = await submitted();
    await chooseRound(stores, APPLICATION_ID, 1);
    stores.clock.set(REVIEW_DEADLINE);
    expect(await recordTimeout(stores, APPLICATION_ID, PARTNER_B, 1)).toEqual({ lenderId: PARTNER_B, decision: 'TIMEOUT' });
    expect((await stores.applications.ask(APPLICATION_ID, PARTNER_B))?.state).toBe('TIMED_OUT');
    expect((await stores.applications.get(APPLICATION_ID))?.timeline.at(-1)).toEqual({
      at: REVIEW_DEADLINE,
      step: `Timeout#${PARTNER_B}#1`,
      event: 'PARTNER_TIMED_OUT',
      detail: { lenderId: PARTNER_B, round: 1 },
    });
    expect((await stores.applications.awaiting(PARTNER_B)).items).toEqual([]);
  });

  it('keeps a decision that arrived before the timeout was recorded', async () => {
    const stores = await submitted();
    await chooseRound(stores, APPLICATION_ID, 1);
    await answer(stores, PARTNER_A, approveBody('300000'));
    stores.clock.set(REVIEW_DEADLINE);
    expect(await recordTimeout(stores, APPLICATION_ID, PARTNER_A, 1)).toEqual({ lenderId: PARTNER_A, decision: 'APPROVE', approvedAmountMinor: 300_000n });
    expect((await stores.applications.ask(APPLICATION_ID, PARTNER_A))?.state).toBe('APPROVED');
    expect((await stores.applications.get(APPLICATION_ID))?.timeline.some((e) => e.event === 'PARTNER_TIMED_OUT')).toBe(false);
  });
});

describe('allocateRound', () => {
  it('PLAN: stores the plan and its reasons, status PLANNED; the lead funds the rest', async () => {
    const stores = await submitted();
    await chooseRound(stores, APPLICATION_ID, 1);
    await answer(stores, PARTNER_A, approveBody('300000'));
    await answer(stores, PARTNER_B, declineBody());
    expect(await allocateRound(stores, APPLICATION_ID, 1)).toEqual({ applicationId: APPLICATION_ID, outcome: 'PLAN', round: 1 });
    const record = await stores.applications.get(APPLICATION_ID);
    expect(record?.status).toBe('PLANNED');
    expect(record?.plan).toEqual([
      { lenderId: LEAD_ID, role: 'LEAD', amountMinor: 700_000n },
      { lenderId: PARTNER_A, role: 'PARTNER', amountMinor: 300_000n },
    ]);
    expect(record?.reasons.map((r) => [r.lenderId, r.amountMinor])).toEqual([
      [LEAD_ID, 700_000n],
      [PARTNER_A, 300_000n],
      [PARTNER_B, 0n],
      [null, 1_000_000n],
    ]);
    expect(record?.timeline.at(-1)).toMatchObject({ step: 'Allocate#1', event: 'PLANNED' });
  });

  it('NEED_MORE: another round asks only the partner not asked yet, then plans with it', async () => {
    const stores = await submitted({ withPartnerC: true });
    expect((await chooseRound(stores, APPLICATION_ID, 1)).asks.map((a) => a.lenderId)).toEqual([PARTNER_A, PARTNER_B]);
    await answer(stores, PARTNER_A, declineBody());
    stores.clock.set(REVIEW_DEADLINE);
    await recordTimeout(stores, APPLICATION_ID, PARTNER_B, 1);
    expect(await allocateRound(stores, APPLICATION_ID, 1)).toEqual({ applicationId: APPLICATION_ID, outcome: 'NEED_MORE', round: 2 });
    const between = await stores.applications.get(APPLICATION_ID);
    expect([between?.status, between?.plan]).toEqual(['IN_REVIEW', null]);
    expect(between?.timeline.at(-1)).toMatchObject({ step: 'Allocate#1', event: 'MORE_PARTNERS_NEEDED', detail: { round: 1, shortfallMinor: 300_000n } });

    const second = await chooseRound(stores, APPLICATION_ID, 2);
    expect(second).toEqual({ applicationId: APPLICATION_ID, round: 2, asks: [{ applicationId: APPLICATION_ID, lenderId: PARTNER_C, round: 2, timeoutSeconds: 86_400 }], outcome: 'ASK' });
    expect(await stores.applications.ask(APPLICATION_ID, PARTNER_C)).toMatchObject({ round: 2, askedAmountMinor: 600_000n, minimumAmountMinor: 300_000n, state: 'PENDING' });
    await decide(stores, partnerOf(PARTNER_C), APPLICATION_ID, validate(decisionRequest, approveBody('600000')), sealFor('decide-c'), '2025-03-02T03:00:00.000Z');
    expect(await allocateRound(stores, APPLICATION_ID, 2)).toEqual({ applicationId: APPLICATION_ID, outcome: 'PLAN', round: 2 });
    expect((await stores.applications.get(APPLICATION_ID))?.plan).toEqual([
      { lenderId: LEAD_ID, role: 'LEAD', amountMinor: 400_000n },
      { lenderId: PARTNER_C, role: 'PARTNER', amountMinor: 600_000n },
    ]);
  });

  it('REJECT: every partner declined or let its ask run out and none is left; status REJECTED with the reasons', async () => {
    const stores = await submitted();
    await chooseRound(stores, APPLICATION_ID, 1);
    await answer(stores, PARTNER_A, declineBody());
    await answer(stores, PARTNER_B, declineBody({ reasonCodes: ['POLICY'] }));
    expect(await allocateRound(stores, APPLICATION_ID, 1)).toEqual({ applicationId: APPLICATION_ID, outcome: 'REJECT', round: 1 });
    const record = await stores.applications.get(APPLICATION_ID);
    expect([record?.status, record?.plan]).toEqual(['REJECTED', null]);
    expect(record?.reasons.map((r) => r.rule)).toEqual(['DECLINED', 'DECLINED', 'NO_PARTNER_LEFT']);
  });

  it("a partner's view of the reviewed application shows no other lender's part, in the plan, the reasons or the timeline", async () => {
    const stores = await submitted();
    await chooseRound(stores, APPLICATION_ID, 1);
    await answer(stores, PARTNER_A, approveBody('300000'));
    await answer(stores, PARTNER_B, declineBody());
    await allocateRound(stores, APPLICATION_ID, 1);
    const view = await getApplication(stores, partnerOf(PARTNER_A), APPLICATION_ID);
    expect(view.plan).toEqual([{ lenderId: PARTNER_A, role: 'PARTNER', amountMinor: 300_000n }]);
    expect(view.timeline.map((e) => e.event)).toEqual(['SUBMITTED', 'PARTNERS_ASKED', 'PARTNER_APPROVED', 'PLANNED']);
    expect(view.timeline.find((e) => e.event === 'PLANNED')?.detail).toEqual({ round: 1, plan: [{ lenderId: PARTNER_A, role: 'PARTNER', amountMinor: 300_000n }] });
    expect(view.timeline.find((e) => e.event === 'PARTNERS_ASKED')?.detail).toEqual({ round: 1, lenderIds: [PARTNER_A], deadline: REVIEW_DEADLINE });
    const seen = toJson(view);
    expect(seen).not.toContain(LEAD_ID);
    expect(seen).not.toContain(PARTNER_B);
    const lead = await getApplication(stores, leadOps, APPLICATION_ID);
    expect(lead.timeline.find((e) => e.event === 'PLANNED')?.detail.plan).toHaveLength(2);
  });

  it('run again after a crash, changes nothing more', async () => {
    const stores = await submitted();
    await chooseRound(stores, APPLICATION_ID, 1);
    await answer(stores, PARTNER_A, approveBody('300000'));
    await answer(stores, PARTNER_B, approveBody('300000'));
    await allocateRound(stores, APPLICATION_ID, 1);
    const writes = stores.db.transactions;
    const record = await stores.applications.get(APPLICATION_ID);
    expect(await allocateRound(stores, APPLICATION_ID, 1)).toEqual({ applicationId: APPLICATION_ID, outcome: 'PLAN', round: 1 });
    expect(stores.db.transactions).toBe(writes);
    expect(await stores.applications.get(APPLICATION_ID)).toEqual(record);
  });

  it('run again after the limits moved (a retry after other bookings landed), answers the plan it recorded, not a new decision', async () => {
    const stores = await submitted();
    await chooseRound(stores, APPLICATION_ID, 1);
    await answer(stores, PARTNER_A, approveBody('300000'));
    await answer(stores, PARTNER_B, approveBody('300000'));
    expect(await allocateRound(stores, APPLICATION_ID, 1)).toEqual({ applicationId: APPLICATION_ID, outcome: 'PLAN', round: 1 });
    // Other loans took every fen of both partners' quota since: decided now, the review would find no partner left.
    seed(stores, {
      quotas: [PARTNER_A, PARTNER_B].flatMap((lenderId) =>
        Array.from({ length: 8 }, (_, shard) => aQuotaShard({ lenderId, shard, committedMinor: SHARD_ALLOTMENT_MINOR, committedByLeadMinor: { [LEAD_ID]: SHARD_ALLOTMENT_MINOR }, version: 2 })),
      ),
    });
    const writes = stores.db.transactions;
    const record = await stores.applications.get(APPLICATION_ID);
    expect(await allocateRound(stores, APPLICATION_ID, 1)).toEqual({ applicationId: APPLICATION_ID, outcome: 'PLAN', round: 1 });
    expect(stores.db.transactions).toBe(writes);
    expect(await stores.applications.get(APPLICATION_ID)).toEqual(record);
  });

  it('run again after it asked for more partners, answers the next round it recorded', async () => {
    const stores = await submitted({ withPartnerC: true });
    await chooseRound(stores, APPLICATION_ID, 1);
    await answer(stores, PARTNER_A, declineBody());
    stores.clock.set(REVIEW_DEADLINE);
    await recordTimeout(stores, APPLICATION_ID, PARTNER_B, 1);
    expect(await allocateRound(stores, APPLICATION_ID, 1)).toEqual({ applicationId: APPLICATION_ID, outcome: 'NEED_MORE', round: 2 });
    seed(stores, { quotas: Array.from({ length: 8 }, (_, shard) => aQuotaShard({ lenderId: PARTNER_C, shard, committedMinor: SHARD_ALLOTMENT_MINOR, version: 2 })) });
    expect(await allocateRound(stores, APPLICATION_ID, 1)).toEqual({ applicationId: APPLICATION_ID, outcome: 'NEED_MORE', round: 2 });
  });
});

describe('recordFailure', () => {
  const error = { Error: 'Lambda.Unknown', Cause: JSON.stringify({ errorType: 'TypeError', errorMessage: 'the lender store answered nothing' }) };

  it('marks an application the review stopped on IN_REVIEW as REVIEW_FAILED with the error, once', async () => {
    const stores = await submitted();
    await chooseRound(stores, APPLICATION_ID, 1);
    expect(await recordFailure(stores, APPLICATION_ID, error)).toEqual({ applicationId: APPLICATION_ID, status: 'REVIEW_FAILED' });
    const record = await stores.applications.get(APPLICATION_ID);
    expect(record?.status).toBe('REVIEW_FAILED');
    expect(record?.timeline.at(-1)).toEqual({ at: NOW, step: 'ReviewFailed', event: 'REVIEW_FAILED', detail: { error: { code: 'TypeError', message: 'the lender store answered nothing' } } });
    const events = record?.timeline.length;
    await recordFailure(stores, APPLICATION_ID, error);
    expect((await stores.applications.get(APPLICATION_ID))?.timeline.length).toBe(events);
  });

  it('leaves an application whose review had ended as it is', async () => {
    const stores = await submitted();
    await chooseRound(stores, APPLICATION_ID, 1);
    await answer(stores, PARTNER_A, declineBody());
    await answer(stores, PARTNER_B, declineBody());
    await allocateRound(stores, APPLICATION_ID, 1);
    expect((await stores.applications.get(APPLICATION_ID))?.status).toBe('REJECTED');
    expect(await recordFailure(stores, APPLICATION_ID, error)).toEqual({ applicationId: APPLICATION_ID, status: 'REJECTED' });
    expect((await stores.applications.get(APPLICATION_ID))?.timeline.at(-1)?.event).toBe('REJECTED');
  });
});

describe('runReviewStep: the review\'s outcome in the audit trail', () => {
  const EXECUTION = 'arn:aws:states:cn-north-1:123456789012:execution:JointReviewStateMachine:APP-1';
  const withAudit = (stores: InMemoryStores) => ({ ...stores, audit: new InMemoryAuditStore(), auditLog: { error: (message: string) => expect.fail(message) } });
  const step = (deps: ReturnType<typeof withAudit>, input: Record<string, unknown>) => runReviewStep(deps, validate(reviewStepInput, { applicationId: APPLICATION_ID, executionId: EXECUTION, ...input }));
  const recorded = (deps: ReturnType<typeof withAudit>) => deps.audit.all(NOW.slice(0, 10)).map((r) => [r.action, r.target, r.after, r.lenderIds, r.executionId]);

  it('records the application approved once, naming every lender asked or in the plan; an ask and a retry record nothing', async () => {
    const deps = withAudit(await submitted());
    await step(deps, { step: 'ChooseCandidates', round: 1 });
    expect(recorded(deps)).toEqual([]);
    await answer(deps, PARTNER_A, approveBody('300000'));
    await answer(deps, PARTNER_B, declineBody());
    expect(await step(deps, { step: 'Allocate', round: 1 })).toEqual({ applicationId: APPLICATION_ID, outcome: 'PLAN', round: 1 });
    await step(deps, { step: 'Allocate', round: 1 });
    expect(recorded(deps)).toEqual([['JointReview.Allocate', { applicationId: APPLICATION_ID }, { status: 'PLANNED', round: 1 }, [LEAD_ID, PARTNER_A, PARTNER_B], EXECUTION]]);
  });

  it('records the application declined by its partners, and the asking of another round not at all', async () => {
    const deps = withAudit(await submitted({ withPartnerC: true }));
    await step(deps, { step: 'ChooseCandidates', round: 1 });
    await answer(deps, PARTNER_A, declineBody());
    await answer(deps, PARTNER_B, declineBody());
    expect(await step(deps, { step: 'Allocate', round: 1 })).toMatchObject({ outcome: 'NEED_MORE' });
    expect(recorded(deps)).toEqual([]);
    await step(deps, { step: 'ChooseCandidates', round: 2 });
    await decide(deps, partnerOf(PARTNER_C), APPLICATION_ID, validate(decisionRequest, declineBody()), sealFor('decide-c'), DECIDED_AT);
    expect(await step(deps, { step: 'Allocate', round: 2 })).toMatchObject({ outcome: 'REJECT' });
    expect(recorded(deps)).toEqual([['JointReview.Allocate', { applicationId: APPLICATION_ID }, { status: 'REJECTED', round: 2 }, [PARTNER_A, PARTNER_B, PARTNER_C], EXECUTION]]);
  });

  it('records an application with no candidate rejected at ChooseCandidates, naming no lender', async () => {
    const short = aLimits({ exposureQuotaMinor: 100_000n, perBorrowerCapMinor: 100_000n });
    const deps = withAudit(await submitted({ lenders: [defaultLenders()[0] as Lender, aPartnerLender(PARTNER_A, { limits: short }), aPartnerLender(PARTNER_B, { limits: short })] }));
    await step(deps, { step: 'ChooseCandidates', round: 1 });
    expect(recorded(deps)).toEqual([['JointReview.ChooseCandidates', { applicationId: APPLICATION_ID }, { status: 'REJECTED', round: 1 }, [], EXECUTION]]);
  });

  it('records a failed review once, and nothing for an application whose review had ended', async () => {
    const error = { Error: 'TypeError', Cause: 'the lender store answered nothing' };
    const deps = withAudit(await submitted());
    await step(deps, { step: 'ChooseCandidates', round: 1 });
    await step(deps, { step: 'RecordFailure', error });
    await step(deps, { step: 'RecordFailure', error });
    expect(recorded(deps)).toEqual([['JointReview.RecordFailure', { applicationId: APPLICATION_ID }, { status: 'REVIEW_FAILED', round: null }, [PARTNER_A, PARTNER_B], EXECUTION]]);
    const ended = withAudit(await submitted());
    await step(ended, { step: 'ChooseCandidates', round: 1 });
    await answer(ended, PARTNER_A, declineBody());
    await answer(ended, PARTNER_B, declineBody());
    await allocateRound(ended, APPLICATION_ID, 1);
    await step(ended, { step: 'RecordFailure', error });
    expect(recorded(ended)).toEqual([]);
  });

  it('records nothing for a step of an execution that passed no id', async () => {
    const deps = withAudit(await submitted());
    await runReviewStep(deps, validate(reviewStepInput, { step: 'ChooseCandidates', applicationId: APPLICATION_ID, round: 1 }));
    await answer(deps, PARTNER_A, approveBody('300000'));
    await answer(deps, PARTNER_B, approveBody('300000'));
    expect(await runReviewStep(deps, validate(reviewStepInput, { step: 'Allocate', applicationId: APPLICATION_ID, round: 1 }))).toMatchObject({ outcome: 'PLAN' });
    expect(recorded(deps)).toEqual([]);
  });
});
