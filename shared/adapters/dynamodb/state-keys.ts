import { shardOf } from '../../domain/shard.ts';
import type { IdempotencyRecord } from '../../ports/stores.ts';
import { indexFamily, tableFamily } from './key-families.ts';

/** Keys of the StateTable; see docs/access-patterns.md (S1-S34, R1-R6). The only place they are built. */
export const LOAN_SHARDS = 16;

const pad = (n: number, width: number): string => n.toString().padStart(width, '0');

export const stateKeys = {
  lender: (lenderId: string) => ({ pk: `LENDER#${lenderId}`, sk: 'LENDER' }),
  lenderIndex: (lenderId: string) => ({ gsi1pk: 'LENDERS', gsi1sk: lenderId }),
  lendersPartition: 'LENDERS',
  program: (programId: string, version: number) => ({ pk: `PROGRAM#${programId}`, sk: `V#${pad(version, 6)}` }),
  programPartition: (programId: string) => `PROGRAM#${programId}`,
  programVersionPrefix: 'V#',
  programIndex: (programId: string, version: number) => ({ gsi1pk: 'PROGRAMS', gsi1sk: `${programId}#V#${pad(version, 6)}` }),
  programsPartition: 'PROGRAMS',
  loan: (loanId: string) => ({ pk: `LOAN#${loanId}`, sk: 'LOAN' }),
  loanFacts: (loanId: string) => ({ pk: `LOAN#${loanId}`, sk: 'FACTS' }),
  loanIndex: (loanId: string) => ({ gsi1pk: loanShardKey(loanShard(loanId)), gsi1sk: loanId }),
  loanShardPartition: (shard: number) => loanShardKey(shard),
  idempotency: (scopeKey: string) => ({ pk: `IDEM#${scopeKey}`, sk: 'IDEM' }),
  ledgerCheck: (businessDate: string) => ({ pk: `LEDGERCHECK#${businessDate}`, sk: 'REPORT' }),
  riskRun: (businessDate: string) => ({ pk: `RISKRUN#${businessDate}`, sk: 'REPORT' }),
  programPool: (programId: string, kind: string) => ({ pk: `PROGRAM#${programId}`, sk: `POOL#${kind}` }),
  application: (applicationId: string) => ({ pk: `APP#${applicationId}`, sk: 'APP' }),
  applicationPartition: (applicationId: string) => `APP#${applicationId}`,
  applicationIndex: (status: string, createdAt: string, applicationId: string) => ({ gsi1pk: `APPSTATUS#${status}`, gsi1sk: `${createdAt}#${applicationId}` }),
  applicationStatusPartition: (status: string) => `APPSTATUS#${status}`,
  ask: (applicationId: string, lenderId: string) => ({ pk: `APP#${applicationId}`, sk: `ASK#${lenderId}` }),
  askPrefix: 'ASK#',
  awaitingIndex: (lenderId: string, deadline: string, applicationId: string) => ({ gsi1pk: `AWAITING#${lenderId}`, gsi1sk: `${deadline}#${applicationId}` }),
  awaitingPartition: (lenderId: string) => `AWAITING#${lenderId}`,
  reservation: (applicationId: string, lenderId: string) => ({ pk: `APP#${applicationId}`, sk: `RESV#${lenderId}` }),
  reservationPrefix: 'RESV#',
  quotaShard: (lenderId: string, shard: number) => ({ pk: `QUOTA#${lenderId}`, sk: `SHARD#${pad(shard, 2)}` }),
  quotaPartition: (lenderId: string) => `QUOTA#${lenderId}`,
  quotaShardPrefix: 'SHARD#',
  /** A lender's principal moved since booking by changes of the loans of one lead, on one shard (docs/access-patterns.md S35). */
  principalShard: (lenderId: string, leadLenderId: string, shard: number) => ({ pk: `QUOTA#${lenderId}`, sk: `PRINCIPAL#${leadLenderId}#${pad(shard, 2)}` }),
  principalShardPrefix: 'PRINCIPAL#',
  borrowerExposure: (borrowerId: string) => ({ pk: `BORROWER#${borrowerId}`, sk: 'EXPOSURE' }),
  /** The lenders' principal in a borrower's loans moved since booking (S36). */
  borrowerPrincipal: (borrowerId: string) => ({ pk: `BORROWER#${borrowerId}`, sk: 'PRINCIPAL' }),
  /** A person by the keyed hash of its identity number: its borrower ids and version (S41), its loans and applications (S42); a borrower id holds no '#', so no id's partition is a person's. */
  person: (identityHash: string) => ({ pk: `BORROWER#PERSON#${identityHash}`, sk: 'PERSON' }),
  personPartition: (identityHash: string) => `BORROWER#PERSON#${identityHash}`,
  personRef: (identityHash: string, kind: 'APPLICATION' | 'LOAN', id: string) => ({ pk: `BORROWER#PERSON#${identityHash}`, sk: `REF#${kind === 'LOAN' ? 'LOAN' : 'APP'}#${id}` }),
  personRefPrefix: 'REF#',
  borrowerSchedule: (loanId: string) => ({ pk: `LOAN#${loanId}`, sk: 'SCHEDULE#BORROWER' }),
  lenderSchedule: (loanId: string, lenderId: string) => ({ pk: `LOAN#${loanId}`, sk: `SCHEDULE#LENDER#${lenderId}` }),
  schedulePrefix: 'SCHEDULE#',
  repayment: (repaymentId: string) => ({ pk: `REPAYMENT#${repaymentId}`, sk: 'REPAYMENT' }),
  /** A settlement run of a business date, its shards and its instructions (docs/settlement.md). */
  settlementRun: (businessDate: string) => ({ pk: `SETTLEMENT#${businessDate}`, sk: 'RUN' }),
  settlementRunIndex: (businessDate: string) => ({ gsi1pk: 'SETTLEMENTRUNS', gsi1sk: businessDate }),
  settlementRunsPartition: 'SETTLEMENTRUNS',
  settlementPartition: (businessDate: string) => `SETTLEMENT#${businessDate}`,
  settlementShard: (businessDate: string, shard: number) => ({ pk: `SETTLEMENT#${businessDate}`, sk: `SHARD#${pad(shard, 2)}` }),
  settlementShardPrefix: 'SHARD#',
  instruction: (businessDate: string, instructionId: string) => ({ pk: `SETTLEMENT#${businessDate}`, sk: `INSTR#${instructionId}` }),
  instructionPrefix: 'INSTR#',
  /** R6: instructions not executed yet, then those executed on a day (docs/reconciliation.md). */
  openInstructionIndex: (valueDate: string, instructionId: string) => ({ gsi1pk: 'INSTR#OPEN', gsi1sk: `${valueDate}#${instructionId}` }),
  openInstructionsPartition: 'INSTR#OPEN',
  executedInstructionsPartition: (day: string) => `INSTR#EXEC#${day}`,
  /** A lender's closing balances of a settled date: the next date's opening (S28). */
  lenderBalances: (businessDate: string, lenderId: string) => ({ pk: `SETTLEMENT#${businessDate}`, sk: `BALANCES#${lenderId}` }),
  lenderBalancesPrefix: 'BALANCES#',
  /** A lender's profit lines of a closed settlement day (S39), and the mark of a day kept, per month (S40). */
  lenderProfitDay: (lenderId: string, day: string) => ({ pk: `LENDER#${lenderId}`, sk: `PROFITDAY#${day}` }),
  lenderProfitDayPrefix: 'PROFITDAY#',
  profitDayKept: (day: string) => ({ pk: `PROFITDAYS#${day.slice(0, 7)}`, sk: day }),
  profitDaysPartition: (month: string) => `PROFITDAYS#${month}`,
  calendarYear: (calendar: string, year: number, version: number) => ({ pk: `CALENDAR#${calendar}`, sk: `YEAR#${pad(year, 4)}#V#${pad(version, 6)}` }),
  calendarPartition: (calendar: string) => `CALENDAR#${calendar}`,
  calendarYearPrefix: 'YEAR#',
  /** A profit-sharing run of a program and a period, and each party's statement of a period (docs/profit-sharing.md). */
  profitRun: (programId: string, period: string) => ({ pk: `PROFITRUN#${programId}#${period}`, sk: 'RUN' }),
  profitStatement: (lenderId: string, period: string, programId: string) => ({ pk: `LENDER#${lenderId}`, sk: `PROFIT#${period}#${programId}` }),
  lenderPartition: (lenderId: string) => `LENDER#${lenderId}`,
  profitStatementPrefix: (period: string) => `PROFIT#${period}#`,
  /** A bank's dated regulatory figures, and the regulatory report run of a date with its shards (docs/regulatory-report.md). */
  regulatoryFigures: (lenderId: string, effectiveDate: string, version: number) => ({ pk: `LENDER#${lenderId}`, sk: `FIGURES#${effectiveDate}#V#${pad(version, 6)}` }),
  regulatoryFiguresPrefix: 'FIGURES#',
  regulatoryReportRun: (businessDate: string) => ({ pk: `REGREPORT#${businessDate}`, sk: 'RUN' }),
  regulatoryReportShard: (businessDate: string, shard: number) => ({ pk: `REGREPORT#${businessDate}`, sk: `SHARD#${pad(shard, 2)}` }),
  regulatoryReportPartition: (businessDate: string) => `REGREPORT#${businessDate}`,
  regulatoryReportShardPrefix: 'SHARD#',
  /** Reconciliation (docs/reconciliation.md, R1-R5). */
  reconciliation: (reconciliationId: string) => ({ pk: `RECON#${reconciliationId}`, sk: 'RECON' }),
  reconciliationIndex: (businessDate: string, type: string, counterparty: string, reconciliationId: string) => ({
    gsi1pk: `RECONS#${businessDate}`,
    gsi1sk: `${type}#${counterparty}#${reconciliationId}`,
  }),
  reconciliationsPartition: (businessDate: string) => `RECONS#${businessDate}`,
  reconciliationBreak: (breakId: string) => ({ pk: `BREAK#${breakId}`, sk: 'BREAK' }),
  breakIndex: (state: string, lenderId: string, openedOn: string, breakId: string) => ({ gsi1pk: `BREAKS#${state}`, gsi1sk: `${lenderId}#${openedOn}#${breakId}` }),
  breaksPartition: (state: string) => `BREAKS#${state}`,
  breaksOfLenderPrefix: (lenderId: string) => `${lenderId}#`,
  upload: (uploadId: string) => ({ pk: `UPLOAD#${uploadId}`, sk: 'UPLOAD' }),
  reconciliationSettings: (counterparty: string, version: number) => ({ pk: `RECONSETTINGS#${counterparty}`, sk: `V#${pad(version, 6)}` }),
  reconciliationSettingsPartition: (counterparty: string) => `RECONSETTINGS#${counterparty}`,
  adjustment: (adjustmentId: string) => ({ pk: `ADJUSTMENT#${adjustmentId}`, sk: 'ADJUSTMENT' }),
  adjustmentIndex: (state: string, proposedAt: string, adjustmentId: string) => ({ gsi1pk: `ADJUSTMENTS#${state}`, gsi1sk: `${proposedAt}#${adjustmentId}` }),
  adjustmentsPartition: (state: string) => `ADJUSTMENTS#${state}`,
  /** A version of a bank's statement mapping, and the index of every bank's versions (docs/files.md, S34). */
  bankFormat: (bankId: string, version: number) => ({ pk: `BANKFORMAT#${bankId}`, sk: `V#${pad(version, 6)}` }),
  bankFormatPartition: (bankId: string) => `BANKFORMAT#${bankId}`,
  bankFormatVersionPrefix: 'V#',
  bankFormatIndex: (bankId: string, version: number) => ({ gsi1pk: 'BANKFORMATS', gsi1sk: `${bankId}#V#${pad(version, 6)}` }),
  bankFormatsPartition: 'BANKFORMATS',
  /** S37: what one part (a shard) of a run found, one item each, too many to pass between workflow steps; S38: how many a part holds. */
  runDetail: (run: string, part: number, seq: number) => ({ pk: `DETAIL#${run}`, sk: `${pad(part, 3)}#${pad(seq, 7)}` }),
  runDetailPartition: (run: string) => `DETAIL#${run}`,
  runDetailHead: (run: string, part: number) => ({ pk: `DETAILHEAD#${run}`, sk: pad(part, 3) }),
  /** S44: an app client's requests of a UTC day, and of the second it last counted (docs/limits.md). */
  clientRequests: (clientId: string, day: string) => ({ pk: `CLIENTREQUESTS#${clientId}`, sk: `DAY#${day}` }),
};

/**
 * The families of the StateTable's partition keys (docs/access-patterns.md#key-families): every
 * key built above belongs to exactly one. Stores declare which they read, query and write; the
 * stack grants each function those of the stores it builds, as `dynamodb:LeadingKeys`.
 */
export const stateFamilies = {
  lender: tableFamily('state', 'LENDER#*'),
  program: tableFamily('state', 'PROGRAM#*'),
  loan: tableFamily('state', 'LOAN#*'),
  idempotency: tableFamily('state', 'IDEM#*'),
  ledgerCheck: tableFamily('state', 'LEDGERCHECK#*'),
  riskRun: tableFamily('state', 'RISKRUN#*'),
  application: tableFamily('state', 'APP#*'),
  quota: tableFamily('state', 'QUOTA#*'),
  borrower: tableFamily('state', 'BORROWER#*'),
  repayment: tableFamily('state', 'REPAYMENT#*'),
  settlement: tableFamily('state', 'SETTLEMENT#*'),
  calendar: tableFamily('state', 'CALENDAR#*'),
  profitRun: tableFamily('state', 'PROFITRUN#*'),
  regulatoryReport: tableFamily('state', 'REGREPORT#*'),
  reconciliation: tableFamily('state', 'RECON#*'),
  reconciliationBreak: tableFamily('state', 'BREAK#*'),
  upload: tableFamily('state', 'UPLOAD#*'),
  reconciliationSettings: tableFamily('state', 'RECONSETTINGS#*'),
  adjustment: tableFamily('state', 'ADJUSTMENT#*'),
  bankFormat: tableFamily('state', 'BANKFORMAT#*'),
  runDetail: tableFamily('state', 'DETAIL#*'),
  runDetailHead: tableFamily('state', 'DETAILHEAD#*'),
  /** S40: the days of a month whose profit lines are kept (S39 lives under `LENDER#`). */
  profitDaysKept: tableFamily('state', 'PROFITDAYS#*'),
  /** S44: the request counters of the API's edge, written by every API function (docs/limits.md). */
  clientRequests: tableFamily('state', 'CLIENTREQUESTS#*'),
  /** gsi1 partitions. */
  lenders: indexFamily('state', 'LENDERS'),
  programs: indexFamily('state', 'PROGRAMS'),
  loanShards: indexFamily('state', 'LOANSHARD#*'),
  applicationStatuses: indexFamily('state', 'APPSTATUS#*'),
  awaiting: indexFamily('state', 'AWAITING#*'),
  settlementRuns: indexFamily('state', 'SETTLEMENTRUNS'),
  instructions: indexFamily('state', 'INSTR#*'),
  reconciliations: indexFamily('state', 'RECONS#*'),
  breaks: indexFamily('state', 'BREAKS#*'),
  adjustments: indexFamily('state', 'ADJUSTMENTS#*'),
  bankFormats: indexFamily('state', 'BANKFORMATS'),
} as const;

function loanShardKey(shard: number): string {
  return `LOANSHARD#${pad(shard, 2)}`;
}

/** The check shard of a loan: the same loan always lands in the same shard. */
export function loanShard(loanId: string): number {
  return shardOf(loanId, LOAN_SHARDS);
}

/**
 * The state table's time-to-live attribute (seconds since the epoch): an idempotency record's
 * `expiresAtEpochSeconds`, after which DynamoDB deletes it; a client's request counter (S44)
 * carries it too, a day after its day ends. No other item carries it.
 */
export const STATE_TIME_TO_LIVE_ATTRIBUTE = 'expiresAtEpochSeconds' satisfies keyof IdempotencyRecord;
