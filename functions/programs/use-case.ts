import { ownTerms, restrictedTo, type Principal } from '../../shared/domain/access.ts';
import { RuleViolation, NotFound } from '../../shared/domain/errors.ts';
import { REGULATORY_PROFILES, REGULATORY_PROFILE_IDS, type RegulatoryProfileId } from '../../shared/domain/regulatory-profile.ts';
import { DEFAULT_WATERFALL, programStartDate, validateProgram, type Program, type ProgramTerms } from '../../shared/domain/program.ts';
import { businessDateAt } from '../../shared/domain/business-date.ts';
import { OPTIMISTIC_ATTEMPTS, WriteConflict, type LenderStore, type ProgramStore } from '../../shared/ports/stores.ts';
import type { PageRequest, Seal } from '../../shared/ports/stores.ts';
import type { CreateProgramRequest } from '../../shared/contracts/schemas.ts';

export interface ProgramDeps {
  readonly programs: ProgramStore;
  readonly lenders: LenderStore;
}

/** The profile of the program's currency when none is named (CN-2021 for CNY). */
function profileFor(input: CreateProgramRequest): RegulatoryProfileId {
  if (input.regulatoryProfile) return input.regulatoryProfile as RegulatoryProfileId;
  const match = REGULATORY_PROFILE_IDS.find((id) => REGULATORY_PROFILES[id].currency === input.currency);
  if (!match) throw new RuleViolation('NO_PROFILE', `no regulatory profile applies to ${input.currency}`, { path: 'currency' });
  return match;
}

/**
 * Writes the next version of a program. Versions are immutable: an earlier version, and every
 * loan booked under it, is never changed by a later one.
 */
export async function createProgram(deps: ProgramDeps, input: CreateProgramRequest, seal: Seal, now: string): Promise<void> {
  const { programId, ...rest } = input;
  const terms: ProgramTerms = {
    ...rest,
    startDate: input.startDate ?? businessDateAt(now, input.settlement.calendar),
    regulatoryProfile: profileFor(input),
    waterfall: input.waterfall ?? DEFAULT_WATERFALL,
  };
  const lenders = await deps.lenders.getMany(terms.participants.map((p) => p.lenderId));
  validateProgram(terms, lenders);
  // Two new versions written at once race for the same number; the loser takes the next one.
  for (let attempt = 1; ; attempt++) {
    const latest = await deps.programs.get(programId, null);
    const program: Program = { programId, version: (latest?.version ?? 0) + 1, createdAt: now, ...terms };
    try {
      await deps.programs.createVersion(program, seal(201, program));
      return;
    } catch (error) {
      if (!(error instanceof WriteConflict && error.reason === 'ALREADY_EXISTS') || attempt >= OPTIMISTIC_ATTEMPTS) throw error;
    }
  }
}

function visibleTo(principal: Principal, program: Program): boolean {
  const only = restrictedTo(principal);
  return only === null || program.participants.some((p) => p.lenderId === only);
}

/**
 * A page of the latest version of each program the caller takes part in (every program for the
 * lead), the highest program id first; a partner's page may hold fewer than the limit, since it
 * is one read filtered to the programs it takes part in; each with only the caller's own participation.
 */
export async function listPrograms(deps: ProgramDeps, principal: Principal, page: PageRequest): Promise<{ programs: Program[]; cursor: string | null }> {
  const found = await deps.programs.pageLatest(page);
  return { programs: found.items.filter((p) => visibleTo(principal, p)).map((p) => ownTerms(withStart(p), restrictedTo(principal))), cursor: found.cursor };
}

export async function getProgram(deps: ProgramDeps, principal: Principal, programId: string, version: number | null): Promise<Program> {
  const program = await deps.programs.get(programId, version);
  if (!program || !visibleTo(principal, program)) throw new NotFound('program', version === null ? programId : `${programId} version ${version}`);
  return ownTerms(withStart(program), restrictedTo(principal));
}

/** A program as shown: with its start, also when stored before programs had one (its creation date). */
function withStart(program: Program): Program {
  return program.startDate === undefined ? { ...program, startDate: programStartDate(program) } : program;
}
