// Plain data only: handlers and the local stack may import this file without pulling in the CDK.

/** State names of the RepaymentSplit workflow (docs/repayment-booking.md). */
export const RepaymentSplitStates = {
  splitAndBook: 'SplitAndBook',
  changed: 'Changed?',
  publish: 'Publish',
  done: 'Done',
} as const;

export type RepaymentSplitStateName = (typeof RepaymentSplitStates)[keyof typeof RepaymentSplitStates];
