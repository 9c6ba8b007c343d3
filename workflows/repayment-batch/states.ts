// Plain data only: handlers and the local stack may import this file without pulling in the CDK.

/** State names of the RepaymentBatch workflow (docs/repayment-booking.md). */
export const RepaymentBatchStates = {
  groupByLoan: 'GroupByLoan',
  bookLoans: 'BookLoans',
  bookLoanGroup: 'BookLoanGroup',
  report: 'Report',
  batchFailed: 'BatchFailed',
} as const;

/** The steps of the batch function: which one a Task state runs. */
export const RepaymentBatchSteps = { group: 'GROUP', report: 'REPORT' } as const;

export type RepaymentBatchStateName = (typeof RepaymentBatchStates)[keyof typeof RepaymentBatchStates];
