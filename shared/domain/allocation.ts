import { assertApplicationOfProgram, type Application } from './application.ts';
import { RuleViolation, ValidationError, invariant } from './errors.ts';
import type { Program } from './program.ts';
import { REGULATORY_PROFILES, formatBps, type RegulatoryProfile } from './regulatory-profile.ts';
import { ALLOCATION_RULES, WHOLE_BPS, byPriorityThenId, largest, shareOf, type AllocationResult, type Candidate, type PartnerDecision, type PlanLine, type Reason, type Term } from './allocation-model.ts';

/**
 * How the partners' decisions become a funding plan in which the lead funds the rest
 * (`allocate`). Pure: the caller loads the candidates and decisions; nothing here reads a clock or
 * writes anything. Every figure leaves with a sentence that says why, for finance and risk. The
 * candidates are chosen by `candidates.ts`; the shared model is `allocation-model.ts`.
 */

export * from './allocation-model.ts';
export { chooseCandidates } from './candidates.ts';

// Allocation -------------------------------------------------------------------------------------------

interface Approval {
  /** What the partner answered. */
  readonly approvedMinor: bigint;
  /** What counts: the answer, at most what the partner is asked now. */
  readonly countedMinor: bigint;
}

interface Funded extends Approval {
  readonly candidate: Candidate;
  fundedMinor: bigint;
}

interface ReadDecisions {
  readonly approvals: ReadonlyMap<string, Approval>;
  readonly refusals: ReadonlyMap<string, 'DECLINE' | 'TIMEOUT'>;
  readonly strangers: readonly PartnerDecision[];
}

/**
 * Turns the partners' decisions into a funding plan. Approved partners are taken in priority order
 * (then lender id) at what they approved, until they cover what the lead's target leaves to partners;
 * the lead funds the rest. When partners approved more than that, the last ones taken give back down
 * to their minimums so the lead keeps its target. When the rest would push the lead above its maximum
 * or no partner has approved, the result is NEED_MORE with the partners to ask next, or REJECT when
 * no partner is left who could cover it. Call it with no decisions to learn whom to ask first.
 */
export function allocate(
  program: Program,
  application: Application,
  candidates: readonly Candidate[],
  decisions: readonly PartnerDecision[],
): AllocationResult {
  assertApplicationOfProgram(application, program);
  const profile = REGULATORY_PROFILES[program.regulatoryProfile];
  const amount = application.amountMinor;
  const floor = partnerFloor(profile, amount);
  const { lead, partners } = readCandidates(program, amount, floor, candidates);
  const read = readDecisions(lead, partners, decisions);
  const strangerLines = read.strangers.map(strangerReason);
  if (!lead) {
    return {
      outcome: 'REJECT',
      reasons: [
        ...strangerLines,
        {
          lenderId: null,
          amountMinor: amount,
          because: `the lead ${program.leadLenderId} cannot fund this loan within its limits or its region, so no plan is possible`,
          rule: ALLOCATION_RULES.leadUnavailable,
          figures: { amountMinor: amount.toString(), leadLenderId: program.leadLenderId },
        },
      ],
    };
  }
  const state = new Allocation(profile, amount, lead, partners, read);
  return state.decide(strangerLines);
}

/** The least a partner funds under the profile: its partner floor and its floor for every lender, rounded up. */
function partnerFloor(profile: RegulatoryProfile, amount: bigint): Term {
  return largest([
    { amountMinor: 1n, label: 'one minor unit' },
    { amountMinor: shareOf(amount, profile.minPartnerShareBps, 'UP'), label: `the ${profile.id} partner floor of ${formatBps(profile.minPartnerShareBps)}` },
    { amountMinor: shareOf(amount, profile.minLenderShareBps, 'UP'), label: `the ${profile.id} floor of ${formatBps(profile.minLenderShareBps)} for every lender` },
  ]);
}

function readCandidates(program: Program, amount: bigint, floor: Term, candidates: readonly Candidate[]): { lead: Candidate | null; partners: Candidate[] } {
  const profile = REGULATORY_PROFILES[program.regulatoryProfile];
  const leadFloor = shareOf(amount, profile.minLenderShareBps, 'UP');
  const seen = new Set<string>();
  let lead: Candidate | null = null;
  const partners: Candidate[] = [];
  for (const [i, c] of candidates.entries()) {
    const path = `candidates.${i}`;
    if (seen.has(c.lenderId)) throw new ValidationError(`candidate ${c.lenderId} is listed twice`, { path: `${path}.lenderId`, rule: 'unique' });
    seen.add(c.lenderId);
    if (!(c.minimumAmountMinor > 0n && c.minimumAmountMinor <= c.askedAmountMinor && c.askedAmountMinor <= c.maximumAmountMinor && c.maximumAmountMinor <= amount)) {
      throw new ValidationError(`candidate ${c.lenderId} needs 0 < minimum <= asked <= maximum <= the loan amount ${amount}`, {
        path,
        rule: 'candidate-amounts',
        minimumMinor: String(c.minimumAmountMinor),
        askedMinor: String(c.askedAmountMinor),
        maximumMinor: String(c.maximumAmountMinor),
      });
    }
    if (!Number.isFinite(c.priority)) throw new ValidationError(`candidate ${c.lenderId} needs a finite priority`, { path: `${path}.priority`, rule: 'finite' });
    if (c.role === 'LEAD') {
      if (c.lenderId !== program.leadLenderId || lead !== null) {
        throw new ValidationError(`the only LEAD candidate is the program's lead ${program.leadLenderId}`, { path: `${path}.role`, rule: 'one-lead' });
      }
      if (c.minimumAmountMinor < leadFloor) {
        throw new ValidationError(`the lead's minimum ${c.minimumAmountMinor} is below the ${profile.id} floor ${leadFloor}`, { path: `${path}.minimumAmountMinor`, rule: 'profile-minimum' });
      }
      lead = c;
    } else if (c.role === 'PARTNER') {
      if (c.minimumAmountMinor < floor.amountMinor) {
        throw new ValidationError(`partner ${c.lenderId}'s minimum ${c.minimumAmountMinor} is below ${floor.label}, ${floor.amountMinor}`, {
          path: `${path}.minimumAmountMinor`,
          rule: 'profile-minimum',
        });
      }
      partners.push(c);
    } else {
      throw new ValidationError(`candidate ${c.lenderId} has an unknown role`, { path: `${path}.role`, rule: 'role' });
    }
  }
  partners.sort(byPriorityThenId);
  return { lead, partners };
}

function readDecisions(lead: Candidate | null, partners: readonly Candidate[], decisions: readonly PartnerDecision[]): ReadDecisions {
  const byId = new Map(partners.map((c) => [c.lenderId, c]));
  const seen = new Set<string>();
  const approvals = new Map<string, Approval>();
  const refusals = new Map<string, 'DECLINE' | 'TIMEOUT'>();
  const strangers: PartnerDecision[] = [];
  decisions.forEach((d, i) => {
    const path = `decisions.${i}`;
    if (seen.has(d.lenderId)) throw new ValidationError(`lender ${d.lenderId} decided twice`, { path: `${path}.lenderId`, rule: 'unique' });
    seen.add(d.lenderId);
    if (d.decision !== 'APPROVE' && d.decision !== 'DECLINE' && d.decision !== 'TIMEOUT') {
      throw new ValidationError(`${path}.decision must be APPROVE, DECLINE or TIMEOUT`, { path: `${path}.decision`, rule: 'decision' });
    }
    if (d.decision !== 'APPROVE' && d.approvedAmountMinor !== undefined) {
      throw new ValidationError(`${path}.approvedAmountMinor goes with APPROVE only`, { path: `${path}.approvedAmountMinor`, rule: 'approve-only' });
    }
    if (lead !== null && d.lenderId === lead.lenderId) {
      throw new ValidationError(`the lead ${d.lenderId} approves on the application, not as a partner decision`, { path: `${path}.lenderId`, rule: 'partner-only' });
    }
    const candidate = byId.get(d.lenderId);
    if (!candidate) {
      strangers.push(d);
      return;
    }
    if (d.decision === 'APPROVE') approvals.set(d.lenderId, checkedApproval(candidate, d, path));
    else refusals.set(d.lenderId, d.decision);
  });
  strangers.sort(byLenderId);
  return { approvals, refusals, strangers };
}

function byLenderId(a: { readonly lenderId: string }, b: { readonly lenderId: string }): number {
  if (a.lenderId === b.lenderId) return 0;
  return a.lenderId < b.lenderId ? -1 : 1;
}

/**
 * An approval below the minimum is refused. One above the amount asked counts only up to it: the
 * amount asked can shrink between rounds when the partner's quota is used by other loans, and a
 * partner funds less than it approved, never more.
 */
function checkedApproval(candidate: Candidate, decision: PartnerDecision, path: string): Approval {
  const approved = decision.approvedAmountMinor ?? candidate.askedAmountMinor;
  if (typeof approved !== 'bigint') {
    throw new ValidationError(`${path}.approvedAmountMinor must be a bigint of minor units`, { path: `${path}.approvedAmountMinor`, rule: 'integer-minor-units' });
  }
  if (approved < candidate.minimumAmountMinor) {
    throw new RuleViolation(
      ALLOCATION_RULES.approvalBelowMinimum,
      `${candidate.lenderId} approved ${approved}, below its minimum ${candidate.minimumAmountMinor} for this loan`,
      {
        path: `${path}.approvedAmountMinor`,
        rule: ALLOCATION_RULES.approvalBelowMinimum,
        lenderId: candidate.lenderId,
        approvedMinor: approved.toString(),
        askedMinor: candidate.askedAmountMinor.toString(),
        minimumMinor: candidate.minimumAmountMinor.toString(),
      },
    );
  }
  return { approvedMinor: approved, countedMinor: approved > candidate.askedAmountMinor ? candidate.askedAmountMinor : approved };
}

function strangerReason(d: PartnerDecision): Reason {
  return {
    lenderId: d.lenderId,
    amountMinor: 0n,
    because: `${d.lenderId} answered ${d.decision} but is not a candidate for this application, so its answer does not count`,
    rule: ALLOCATION_RULES.notACandidate,
    figures: { decision: d.decision },
  };
}

/** One allocation of an application: the partners taken, their amounts and the reasons. */
class Allocation {
  private readonly taken: Funded[] = [];
  private readonly lines = new Map<string, Reason>();
  private minimumSum = 0n;
  private approvedSum = 0n;
  /** What the lead's target leaves to partners. */
  private readonly goal: bigint;

  constructor(
    private readonly profile: RegulatoryProfile,
    private readonly amount: bigint,
    private readonly lead: Candidate,
    private readonly partners: readonly Candidate[],
    private readonly read: ReadDecisions,
  ) {
    this.goal = amount - lead.askedAmountMinor;
  }

  decide(strangerLines: readonly Reason[]): AllocationResult {
    this.take();
    if (this.taken.length > 0 && this.approvedSum >= this.amount - this.lead.maximumAmountMinor) return this.plan(strangerLines);
    return this.needMore(strangerLines);
  }

  /** Approved partners in order, while they are still needed and their minimums fit beside the lead's. */
  private take(): void {
    const room = this.amount - this.lead.minimumAmountMinor;
    for (const c of this.partners) {
      const refusal = this.read.refusals.get(c.lenderId);
      if (refusal !== undefined) {
        this.note(c, 0n, refusal === 'DECLINE' ? `${c.lenderId} declined the ${c.askedAmountMinor} asked` : `${c.lenderId} did not answer in time for the ${c.askedAmountMinor} asked`, {
          rule: refusal === 'DECLINE' ? ALLOCATION_RULES.declined : ALLOCATION_RULES.timeout,
        });
        continue;
      }
      const approval = this.read.approvals.get(c.lenderId);
      if (approval === undefined) continue;
      const approved = approval.countedMinor;
      if (this.taken.length > 0 && this.approvedSum >= this.goal) {
        this.note(c, 0n, `${c.lenderId} approved ${approved} but is not needed: partners ahead of it already fund ${this.approvedSum} of the ${this.goal} the lead's target leaves to partners`, {
          rule: ALLOCATION_RULES.notNeeded,
          approvedMinor: approved,
        });
        continue;
      }
      if (this.minimumSum + c.minimumAmountMinor > room) {
        this.note(c, 0n, `${c.lenderId} approved ${approved} but its minimum ${c.minimumAmountMinor} beside the partners ahead of it (${this.minimumSum}) would leave the lead less than its minimum ${this.lead.minimumAmountMinor}`, {
          rule: ALLOCATION_RULES.notNeeded,
          approvedMinor: approved,
        });
        continue;
      }
      this.taken.push({ candidate: c, ...approval, fundedMinor: approved });
      this.minimumSum += c.minimumAmountMinor;
      this.approvedSum += approved;
    }
  }

  private plan(strangerLines: readonly Reason[]): AllocationResult {
    const { amount, lead } = this;
    const wanted = this.approvedSum < this.goal ? this.approvedSum : this.goal;
    const partnersTotal = wanted > this.minimumSum ? wanted : this.minimumSum;
    let excess = this.approvedSum - partnersTotal; // approvedSum counts each approval up to the amount asked
    for (let i = this.taken.length - 1; i >= 0 && excess > 0n; i--) {
      const funded = this.taken[i]!;
      const spare = funded.fundedMinor - funded.candidate.minimumAmountMinor;
      const cut = spare < excess ? spare : excess;
      funded.fundedMinor -= cut;
      excess -= cut;
    }
    invariant(excess === 0n, 'approved partners could not give back down to their minimums', { excess: excess.toString() });
    const leadAmount = amount - partnersTotal;
    for (const f of this.taken) this.noteFunded(f, partnersTotal, leadAmount);
    for (const c of this.partners) {
      if (!this.lines.has(c.lenderId)) this.note(c, 0n, `${c.lenderId} was not asked: the plan is complete without it`, {});
    }
    const plan: PlanLine[] = [{ lenderId: lead.lenderId, role: 'LEAD', amountMinor: leadAmount }, ...this.taken.map((f) => ({ lenderId: f.candidate.lenderId, role: 'PARTNER' as const, amountMinor: f.fundedMinor }))];
    this.assertPlan(plan);
    const leadLine: Reason = {
      lenderId: lead.lenderId,
      amountMinor: leadAmount,
      because: `the lead funds the rest: ${amount} - ${partnersTotal} from partners = ${leadAmount}${leadVersusTarget(leadAmount, lead.askedAmountMinor)}; its limits allow ${lead.minimumAmountMinor} to ${lead.maximumAmountMinor}`,
      figures: {
        amountMinor: amount.toString(),
        partnersMinor: partnersTotal.toString(),
        targetMinor: lead.askedAmountMinor.toString(),
        minimumMinor: lead.minimumAmountMinor.toString(),
        maximumMinor: lead.maximumAmountMinor.toString(),
      },
    };
    const total: Reason = {
      lenderId: null,
      amountMinor: amount,
      because: `the loan of ${amount} is funded by ${plan.length} lenders and the plan sums to it exactly`,
      figures: { amountMinor: amount.toString(), leadMinor: leadAmount.toString(), partnersMinor: partnersTotal.toString() },
    };
    return { outcome: 'PLAN', plan, reasons: [leadLine, ...this.partnerLines(), ...strangerLines, total] };
  }

  private needMore(strangerLines: readonly Reason[]): AllocationResult {
    const { amount, lead } = this;
    const short = this.shortfall();
    const wanted = this.goal - this.approvedSum;
    const { ask, covered } = this.nextAsks(wanted > short.amountMinor ? wanted : short.amountMinor);
    const figures = {
      amountMinor: amount.toString(),
      leadMaximumMinor: lead.maximumAmountMinor.toString(),
      approvedMinor: this.approvedSum.toString(),
      shortfallMinor: short.amountMinor.toString(),
      askableMinor: covered.toString(),
    };
    if (covered < short.amountMinor) {
      for (const c of ask) this.note(c, 0n, `${c.lenderId} could fund at most ${c.askedAmountMinor}, not enough to close the shortfall with the partners left`, {});
      this.notePending();
      const summary: Reason = {
        lenderId: null,
        amountMinor: short.amountMinor,
        because: `${short.because}; the partners left could fund only ${covered}, so the application is rejected`,
        rule: ALLOCATION_RULES.noPartnerLeft,
        figures,
      };
      return { outcome: 'REJECT', reasons: [...this.partnerLines(), ...strangerLines, summary] };
    }
    for (const c of ask) this.note(c, 0n, `${c.lenderId} is asked now for ${c.askedAmountMinor}`, {});
    this.notePending();
    const askLenderIds = ask.map((c) => c.lenderId);
    const summary: Reason = { lenderId: null, amountMinor: short.amountMinor, because: `${short.because}; asking ${askLenderIds.join(', ')}`, rule: short.rule, figures };
    return { outcome: 'NEED_MORE', shortfallMinor: short.amountMinor, askLenderIds, reasons: [...this.partnerLines(), ...strangerLines, summary] };
  }

  /**
   * The least more partner funding a valid plan needs: what would push the lead above its maximum,
   * or, while no partner has approved, the profile's floor for one partner.
   */
  private shortfall(): { amountMinor: bigint; rule: string; because: string } {
    const { amount, lead } = this;
    const floor = partnerFloor(this.profile, amount);
    const overLead = amount - lead.maximumAmountMinor - this.approvedSum;
    if (this.taken.length === 0 && floor.amountMinor >= overLead) {
      return {
        amountMinor: floor.amountMinor,
        rule: ALLOCATION_RULES.needsPartner,
        because: `a joint loan needs a partner funding at least ${floor.amountMinor} (${floor.label}) and no partner has approved yet`,
      };
    }
    invariant(overLead > 0n, 'an allocation without a plan has a shortfall', { shortfall: overLead.toString() });
    return {
      amountMinor: overLead,
      rule: ALLOCATION_RULES.leadMaxShare,
      because: `the lead funds at most ${lead.maximumAmountMinor} of ${amount} and approved partners fund ${this.approvedSum}, so partners must fund ${overLead} more`,
    };
  }

  /** Partners not asked yet, in order, until their asked amounts cover `need`; skips those whose minimum cannot fit. */
  private nextAsks(need: bigint): { ask: Candidate[]; covered: bigint } {
    const room = this.amount - this.lead.minimumAmountMinor;
    const ask: Candidate[] = [];
    let covered = 0n;
    let minimums = this.minimumSum;
    for (const c of this.partners) {
      if (covered >= need) break;
      if (this.lines.has(c.lenderId) || this.read.approvals.has(c.lenderId)) continue;
      if (minimums + c.minimumAmountMinor > room) {
        this.note(c, 0n, `${c.lenderId} cannot join: its minimum ${c.minimumAmountMinor} beside the partners' (${minimums}) would leave the lead less than its minimum ${this.lead.minimumAmountMinor}`, {
          rule: ALLOCATION_RULES.leadMinimumRoom,
        });
        continue;
      }
      ask.push(c);
      covered += c.askedAmountMinor;
      minimums += c.minimumAmountMinor;
    }
    return { ask, covered };
  }

  private notePending(): void {
    for (const f of this.taken) this.note(f.candidate, f.countedMinor, `${f.candidate.lenderId} ${approvalText(f)}`, approvalExtra(f));
    for (const c of this.partners) if (!this.lines.has(c.lenderId)) this.note(c, 0n, `${c.lenderId} is not asked yet`, {});
  }

  private noteFunded(f: Funded, partnersTotal: bigint, leadAmount: bigint): void {
    const c = f.candidate;
    const joint = f.approvedMinor > c.askedAmountMinor ? ', and' : ' and';
    const fundedText =
      f.fundedMinor === f.countedMinor
        ? `${joint} funds it`
        : `${joint} funds ${f.fundedMinor}: partners fund ${partnersTotal} in all so that the lead keeps ${leadAmount}, and no partner goes below its minimum`;
    this.note(c, f.fundedMinor, `${c.lenderId} ${approvalText(f)}${fundedText}; its minimum is ${c.minimumAmountMinor}`, approvalExtra(f));
  }

  private note(c: Candidate, amountMinor: bigint, because: string, extra: { readonly rule?: string; readonly approvedMinor?: bigint }): void {
    const figures: Record<string, string> = {
      askedMinor: c.askedAmountMinor.toString(),
      minimumMinor: c.minimumAmountMinor.toString(),
      maximumMinor: c.maximumAmountMinor.toString(),
    };
    if (extra.approvedMinor !== undefined) figures.approvedMinor = extra.approvedMinor.toString();
    const line: Reason = extra.rule === undefined ? { lenderId: c.lenderId, amountMinor, because, figures } : { lenderId: c.lenderId, amountMinor, because, rule: extra.rule, figures };
    this.lines.set(c.lenderId, line);
  }

  /** Lines in the candidates' order, whatever order they were written in. */
  private partnerLines(): Reason[] {
    return this.partners.flatMap((c) => {
      const line = this.lines.get(c.lenderId);
      return line ? [line] : [];
    });
  }

  /** The plan's promises, checked before it leaves: sums, floors, limits and approvals. */
  private assertPlan(plan: readonly PlanLine[]): void {
    const { amount, profile, lead } = this;
    const sum = plan.reduce((s, line) => s + line.amountMinor, 0n);
    invariant(sum === amount, 'the funding plan sums to the loan amount', { sum: sum.toString(), amount: amount.toString() });
    const leadLine = plan[0];
    invariant(
      leadLine !== undefined && leadLine.amountMinor >= lead.minimumAmountMinor && leadLine.amountMinor <= lead.maximumAmountMinor,
      "the lead's part is within its limits",
      { lenderId: lead.lenderId },
    );
    invariant(this.taken.length > 0, 'a joint loan has a partner');
    for (const f of this.taken) {
      const c = f.candidate;
      invariant(
        f.fundedMinor >= c.minimumAmountMinor && f.fundedMinor <= f.countedMinor && f.countedMinor <= f.approvedMinor && f.countedMinor <= c.askedAmountMinor && c.askedAmountMinor <= c.maximumAmountMinor,
        "a partner's part is within its minimum, its approval and its limits",
        { lenderId: c.lenderId, fundedMinor: f.fundedMinor.toString() },
      );
    }
    for (const line of plan) {
      const floorBps = line.role === 'PARTNER' ? Math.max(profile.minPartnerShareBps, profile.minLenderShareBps) : profile.minLenderShareBps;
      invariant(line.amountMinor > 0n && line.amountMinor * BigInt(WHOLE_BPS) >= BigInt(floorBps) * amount, 'every lender of the plan meets the regulatory floor', {
        lenderId: line.lenderId,
        amountMinor: line.amountMinor.toString(),
        floorBps: String(floorBps),
      });
    }
  }
}

function approvalText(f: Funded): string {
  const asked = f.candidate.askedAmountMinor;
  if (f.approvedMinor > asked) return `approved ${f.approvedMinor}, of which the ${asked} its limits allow now counts`;
  return f.approvedMinor === asked ? `approved the ${asked} asked` : `approved ${f.approvedMinor} of the ${asked} asked`;
}

function approvalExtra(f: Funded): { rule?: string; approvedMinor: bigint } {
  return f.approvedMinor > f.candidate.askedAmountMinor ? { rule: ALLOCATION_RULES.approvalAboveAsked, approvedMinor: f.approvedMinor } : { approvedMinor: f.approvedMinor };
}

function leadVersusTarget(leadAmount: bigint, target: bigint): string {
  if (leadAmount === target) return ', its target';
  if (leadAmount > target) return `, ${leadAmount - target} above its target ${target} because partners fund less than the target leaves to them`;
  return `, ${target - leadAmount} below its target ${target} because partners' minimums take more`;
}
