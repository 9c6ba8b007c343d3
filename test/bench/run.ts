/**
 * `npm run bench`: local performance figures. Prints; asserts nothing about time.
 *   BENCH_LOANS_PER_CLIENT (default 100), BENCH_APPLICATIONS (default 100), BENCH_SPLITS
 *   (default 200000), BENCH_REPAYMENTS (default 2000, one per call) and BENCH_REPAYMENT_BATCHES
 *   (default 5 calls of 25 per client) set the run sizes.
 */
import { startLocalStack } from '../../infra/local/stack.ts';
import { benchBooking, printBooking } from './booking.ts';
import { benchLongLoan, printLongLoan } from './long-loan.ts';
import { benchWriteFloor, printWriteFloor } from './floor.ts';
import { NO_COUNTS, benchRepayments, printRepayments } from './repayments.ts';
import { benchReview, printReview } from './review.ts';
import { benchSplit } from './split.ts';
import { benchStartup, printStartup } from './startup.ts';

const loansPerClient = Number(process.env.BENCH_LOANS_PER_CLIENT ?? '100');
const applications = Number(process.env.BENCH_APPLICATIONS ?? '100');
const repayments = Number(process.env.BENCH_REPAYMENTS ?? '2000');
const repaymentBatches = Number(process.env.BENCH_REPAYMENT_BATCHES ?? '5');

console.log(`Colend local benchmarks, Node ${process.version}, ${new Date().toISOString()}`);
benchSplit(Number(process.env.BENCH_SPLITS ?? '200000')); // the pure engine, before anything local starts
printStartup(await benchStartup());

const stack = await startLocalStack({ port: 0, runSchedules: false, log: () => undefined, meterDynamoDb: true, longRunning: true });
const dynamoDb = () => stack.dynamoDbCounts() ?? NO_COUNTS;

/**
 * DynamoDB work per unit between two readings of the meter. Each poll the benchmark's clients
 * made while waiting (an early decision or disbursement call, a status read) cost two reads;
 * they are not the system's work and are taken out.
 */
function perUnit(before: ReturnType<typeof dynamoDb>, units: number, what: string, polls: number): string {
  const after = dynamoDb();
  const reads = (after.readRequests - before.readRequests - 2 * polls) / units;
  const writes = (after.writeItems - before.writeItems) / units;
  const transactional = (after.transactionalWriteItems - before.transactionalWriteItems) / units;
  const rcu = (after.readUnits - before.readUnits) / units;
  const wcu = (after.writeUnits - before.writeUnits + after.indexWriteUnits - before.indexWriteUnits) / units;
  return `  DynamoDB per ${what}: ${reads.toFixed(1)} reads (${rcu.toFixed(1)} RCU), ${writes.toFixed(1)} items written (${transactional.toFixed(1)} in transactions, ${wcu.toFixed(1)} WCU with the index)`;
}
try {
  await benchBooking(stack, 5); // warm-up: module loading and JIT
  let before = dynamoDb();
  const booking = await benchBooking(stack, loansPerClient);
  printBooking(booking);
  console.log(perUnit(before, booking.loans + booking.failures, 'booked loan', 0));
  await benchReview(stack, 4, 2); // warm-up
  before = dynamoDb();
  const review = await benchReview(stack, applications, 8);
  printReview(review);
  console.log(perUnit(before, review.applications + review.failures, 'application, intake to booked', review.pollReads / 2));
  // Last, so the figures above run on the same data as before repayments were measured.
  printLongLoan(await benchLongLoan(stack));
  const floor = await benchWriteFloor(stack);
  printWriteFloor(floor);
  await benchRepayments(stack, 80, 0); // warm-up
  const repayment = await benchRepayments(stack, repayments, repaymentBatches);
  printRepayments(repayment);
  console.log(`  repayments end to end / the transaction floor: ${((100 * repayment.perSecond) / floor.transactionsPerSecond).toFixed(0)}%`);
} finally {
  await stack.stop();
}
