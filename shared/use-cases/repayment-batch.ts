import { repaymentRequest } from '../contracts/schemas.ts';
import type { BatchReport, BatchRowResult, GroupResult, GroupedBatch, Refusal } from '../contracts/repayments.ts';
import { ValidationError } from '../domain/errors.ts';

/**
 * A collection batch (an API call with many repayments, or a collection file): its rows checked
 * one by one and grouped by loan, so each loan's repayments are booked in the batch's order by
 * one step while loans are booked side by side; then every row's answer in the batch's order, and
 * a report of what went to suspense or was refused. docs/repayment-booking.md.
 */

/** The valid rows grouped by loan (in the order loans first appear), and every invalid row refused as it stands. */
export function groupByLoan(rows: readonly unknown[]): GroupedBatch {
  const groups = new Map<string, { index: number; repayment: unknown }[]>();
  const refused: GroupedBatch['refused'][number][] = [];
  rows.forEach((row, index) => {
    const parsed = repaymentRequest.safeParse(row);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const path = issue?.path.map(String).join('.') || 'repayment';
      const repaymentId = typeof (row as { repaymentId?: unknown } | null)?.repaymentId === 'string' ? (row as { repaymentId: string }).repaymentId : null;
      refused.push({ index, repaymentId, result: refusalOf(new ValidationError(`${path}: ${issue?.message ?? 'invalid'}`, { path, rule: issue?.code ?? 'invalid' })) });
      return;
    }
    const group = groups.get(parsed.data.loanId) ?? [];
    group.push({ index, repayment: row });
    groups.set(parsed.data.loanId, group);
  });
  return { rows: rows.length, groups: [...groups].map(([loanId, grouped]) => ({ loanId, rows: grouped as GroupedBatch['groups'][number]['rows'] })), refused };
}

function refusalOf(error: ValidationError): Refusal {
  return { status: 'REFUSED', error: { code: error.code, message: error.message, details: error.details } };
}

/** Every row's answer in the batch's order, and the batch's report. */
export function batchReport(rows: number, refused: GroupedBatch['refused'], booked: readonly GroupResult[]): BatchReport {
  const results = new Array<BatchRowResult | undefined>(rows).fill(undefined);
  const refusedByCode: Record<string, number> = {};
  const suspense: BatchReport['report']['suspense'][number][] = [];
  let bookedCount = 0;
  let replayed = 0;
  const refuse = (index: number, repaymentId: string | null, result: Refusal) => {
    results[index] = { repaymentId, status: 'REFUSED', error: result.error };
    refusedByCode[result.error.code] = (refusedByCode[result.error.code] ?? 0) + 1;
  };
  for (const row of refused) refuse(row.index, row.repaymentId, row.result);
  for (const group of booked) {
    for (const { index, repaymentId, result } of group.results) {
      if (result.status === 'REFUSED') {
        refuse(index, repaymentId, result);
        continue;
      }
      if (!('repayment' in result)) throw new TypeError(`row ${index} of a batch answered with something other than a repayment`);
      const { repayment } = result;
      results[index] = { repaymentId: repayment.repaymentId, status: result.status === 'REPLAYED' ? 'REPLAYED' : 'BOOKED', repayment };
      if (result.status === 'REPLAYED') replayed += 1;
      else bookedCount += 1;
      const { suspenseMinor } = repayment.split;
      if (result.status !== 'REPLAYED' && suspenseMinor !== null && suspenseMinor !== '0') suspense.push({ repaymentId: repayment.repaymentId, loanId: repayment.loanId, suspenseMinor });
    }
  }
  const missing = results.findIndex((r) => r === undefined);
  if (missing >= 0) throw new TypeError(`row ${missing} of a batch has no answer`);
  return {
    results: results as BatchRowResult[],
    report: { rows, booked: bookedCount, replayed, refused: rows - bookedCount - replayed, loans: booked.length, suspense, refusedByCode },
  };
}
