import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { api } from './support/stack.ts';
import { createWorld, expectLedgerBalanced, type World } from './support/world.ts';
import { approve, asked, createReviewProgram, decide, decline, disburse, submit, until, view } from './support/review.ts';

let w: World;
let programId: string;

beforeAll(async () => {
  w = await createWorld();
  programId = await createReviewProgram(w);
});

afterEach(expectLedgerBalanced);

const id = (label: string) => `APP-${w.suffix}-${label}`;

describe('joint review', () => {
  it('all approve: the plan is exact, the loan is booked with its schedule once the lead disburses', async () => {
    const appId = id('ALL');
    await submit(w, programId, appId);
    await until(w, appId, (v) => asked(w.bankA)(v) && asked(w.bankB)(v), 'A and B asked');
    // Each partner asked is notified on the event bus (AskPartner runs just after the asks are written).
    let requests: { applicationId: string; lenderId: string; askedAmountMinor: string }[] = [];
    for (let i = 0; i < 100 && requests.length < 2; i++) {
      const events = (await api('/local/events?detailType=colend.review.requested', {})).json as { events: { detail: (typeof requests)[number] }[] };
      requests = events.events.map((e) => e.detail).filter((e) => e.applicationId === appId);
      if (requests.length < 2) await new Promise((r) => setTimeout(r, 50));
    }
    expect(requests.map((e) => [e.lenderId, e.askedAmountMinor]).sort()).toEqual([
      [w.bankA, '300000'],
      [w.bankB, '300000'],
    ]);
    const pendingForA = (await api('/v1/applications', { token: w.tokens.bankA })).json as { applications: { applicationId: string; askedAmountMinor: string }[] };
    expect(pendingForA.applications).toContainEqual(expect.objectContaining({ applicationId: appId, askedAmountMinor: '300000' }));
    expect((await decide(appId, w.tokens.bankA, approve('300000'))).status).toBe(201);
    expect((await decide(appId, w.tokens.bankB, approve('300000'))).status).toBe(201);
    const planned = await until(w, appId, (v) => v.status === 'AWAITING_DISBURSEMENT', 'awaiting disbursement');
    expect(planned.plan).toEqual([
      { lenderId: w.lead, role: 'LEAD', amountMinor: '400000' },
      { lenderId: w.bankA, role: 'PARTNER', amountMinor: '300000' },
      { lenderId: w.bankB, role: 'PARTNER', amountMinor: '300000' },
    ]);
    expect(planned.reasons.length).toBeGreaterThan(0);

    const res = await disburse(w, appId, { outcome: 'DISBURSED', disbursementReference: `D-${appId}`, disbursementDate: '2026-11-30' });
    expect(res.status, res.text).toBe(202);
    const booked = await until(w, appId, (v) => v.status === 'BOOKED', 'booked');
    expect(booked.loanId).toBe(appId);
    const loan = (await api(`/v1/loans/${appId}`, { token: w.tokens.lead })).json as { principalMinor: string; disbursementReference: string };
    expect([loan.principalMinor, loan.disbursementReference]).toEqual(['1000000', `D-${appId}`]);
    const schedule = (await api(`/v1/loans/${appId}/schedule`, { token: w.tokens.bankA })).json as { borrower: unknown; lenders: { lenderId: string; totalPrincipalMinor: string; instalments: unknown[] }[] };
    expect(schedule.borrower).toBeNull();
    expect(schedule.lenders.map((l) => [l.lenderId, l.totalPrincipalMinor, l.instalments.length])).toEqual([[w.bankA, '300000', 12]]);
    expect(booked.timeline.map((e) => e.event)).toEqual(['SUBMITTED', 'PARTNERS_ASKED', expect.stringMatching(/^PARTNER_APPROVED$/), 'PARTNER_APPROVED', 'PLANNED', 'AWAITING_DISBURSEMENT', 'BOOKED']);
  });

  it('a partner that declines is replaced by the next eligible partner', async () => {
    const appId = id('REPLACE');
    await submit(w, programId, appId);
    await until(w, appId, (v) => asked(w.bankA)(v) && asked(w.bankB)(v), 'A and B asked');
    expect((await decide(appId, w.tokens.bankA, approve('300000'))).status).toBe(201);
    expect((await decide(appId, w.tokens.bankB, decline)).status).toBe(201);
    await until(w, appId, asked(w.outsider, 2), 'C asked in round 2');
    expect((await decide(appId, w.tokens.outsider, approve('300000'))).status).toBe(201);
    const planned = await until(w, appId, (v) => v.status === 'AWAITING_DISBURSEMENT', 'planned');
    expect(planned.plan?.map((l) => [l.lenderId, l.amountMinor])).toEqual([
      [w.lead, '400000'],
      [w.bankA, '300000'],
      [w.outsider, '300000'],
    ]);
    // B sees its own decline, not the plan of others.
    const asB = await view(w, appId, w.tokens.bankB);
    expect(asB.asks.map((a) => [a.lenderId, a.state])).toEqual([[w.bankB, 'DECLINED']]);
    expect(asB.plan).toEqual([]);
    expect((await disburse(w, appId, { outcome: 'CANCELLED', reason: 'Borrower withdrew' })).status).toBe(202);
    expect((await until(w, appId, (v) => v.status === 'CANCELLED', 'cancelled')).status).toBe('CANCELLED');
  });

  it('all decline: the application is rejected with the reasons, without asking a partner that could not make up the rest', async () => {
    const appId = id('NONE');
    await submit(w, programId, appId);
    await until(w, appId, (v) => asked(w.bankA)(v) && asked(w.bankB)(v), 'A and B asked');
    await decide(appId, w.tokens.bankA, decline);
    await decide(appId, w.tokens.bankB, decline);
    const rejected = await until(w, appId, (v) => v.status === 'REJECTED', 'rejected');
    expect(rejected.plan).toBeNull();
    // The lead takes at most 40%; partner C alone, asked for 30%, cannot make up the 60% left.
    expect(rejected.asks.map((a) => [a.lenderId, a.state])).toEqual([
      [w.bankA, 'DECLINED'],
      [w.bankB, 'DECLINED'],
    ]);
    expect(rejected.reasons.map((r) => r.rule)).toEqual(expect.arrayContaining(['DECLINED']));
  });

  it('one declines, its replacement declines too: rejected after two rounds', async () => {
    const appId = id('TWO-ROUNDS');
    await submit(w, programId, appId);
    await until(w, appId, (v) => asked(w.bankA)(v) && asked(w.bankB)(v), 'A and B asked');
    await decide(appId, w.tokens.bankA, approve('300000'));
    await decide(appId, w.tokens.bankB, decline);
    await until(w, appId, asked(w.outsider, 2), 'C asked');
    await decide(appId, w.tokens.outsider, decline);
    const rejected = await until(w, appId, (v) => v.status === 'REJECTED', 'rejected');
    expect(rejected.plan).toBeNull();
    expect(rejected.round).toBe(2);
  });

  it('a second decision, and a decision by a lender that was not asked, are refused and change nothing', async () => {
    const appId = id('TWICE');
    await submit(w, programId, appId);
    await until(w, appId, (v) => asked(w.bankA)(v) && asked(w.bankB)(v), 'A and B asked');
    expect((await decide(appId, w.tokens.bankA, approve('300000'))).status).toBe(201);
    const again = await decide(appId, w.tokens.bankA, decline);
    expect(again.status).toBe(409);
    expect((again.json as { code: string }).code).toBe('DECISION_ALREADY_MADE');
    const stranger = await decide(appId, w.tokens.outsider, approve('300000'));
    expect(stranger.status).toBe(404);
    const above = await decide(appId, w.tokens.bankB, approve('300001'));
    expect(above.status).toBe(422);
    expect((above.json as { code: string }).code).toBe('APPROVAL_ABOVE_ASKED');
    const v = await view(w, appId);
    expect(v.asks.find((a) => a.lenderId === w.bankA)?.state).toBe('APPROVED');
    expect(v.asks.find((a) => a.lenderId === w.bankB)?.state).toBe('PENDING');
    expect(v.asks.some((a) => a.lenderId === w.outsider)).toBe(false);
    expect((await api(`/v1/applications/${appId}`, { token: w.tokens.outsider })).status).toBe(404);
    await decide(appId, w.tokens.bankB, decline);
    await until(w, appId, asked(w.outsider, 2), 'C asked');
    await decide(appId, w.tokens.outsider, decline);
    await until(w, appId, (x) => x.status === 'REJECTED', 'rejected');
  });
});

describe('review deadlines', () => {
  it('a partner that does not answer in time is timed out and replaced; its late answer is refused', async () => {
    const fast = await createReviewProgram(w, { reviewTimeoutSeconds: 2 });
    const appId = id('TIMEOUT');
    await submit(w, fast, appId);
    await until(w, appId, (v) => asked(w.bankA)(v) && asked(w.bankB)(v), 'A and B asked');
    expect((await decide(appId, w.tokens.bankA, approve('300000'))).status).toBe(201);
    await until(w, appId, asked(w.outsider, 2), 'C asked after B timed out');
    const late = await decide(appId, w.tokens.bankB, approve('300000'));
    expect(late.status).toBe(409);
    expect((late.json as { code: string }).code).toBe('REVIEW_CLOSED');
    expect((await decide(appId, w.tokens.outsider, approve('300000'))).status).toBe(201);
    const v = await until(w, appId, (x) => x.status === 'AWAITING_DISBURSEMENT', 'planned');
    expect(v.asks.find((a) => a.lenderId === w.bankB)?.state).toBe('TIMED_OUT');
    await disburse(w, appId, { outcome: 'FAILED', reason: 'Payment rail down' });
    await until(w, appId, (x) => x.status === 'DISBURSEMENT_FAILED', 'failed');
  });
});
