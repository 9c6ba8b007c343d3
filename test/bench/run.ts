/**
 * `npm run bench`: local performance figures. Prints; asserts nothing about time.
 *   BENCH_LOANS_PER_CLIENT (default 100) and BENCH_APPLICATIONS (default 100) set the run sizes.
 */
import { startLocalStack } from '../../infra/local/stack.ts';
import { benchBooking, printBooking } from './booking.ts';
import { benchReview, printReview } from './review.ts';
import { benchStartup, printStartup } from './startup.ts';

const loansPerClient = Number(process.env.BENCH_LOANS_PER_CLIENT ?? '100');
const applications = Number(process.env.BENCH_APPLICATIONS ?? '100');

console.log(`Colend local benchmarks, Node ${process.version}, ${new Date().toISOString()}`);
printStartup(await benchStartup());

const stack = await startLocalStack({ port: 0, runSchedules: false, log: () => undefined });
try {
  await benchBooking(stack, 5); // warm-up: module loading and JIT
  printBooking(await benchBooking(stack, loansPerClient));
  await benchReview(stack, 4, 2); // warm-up
  printReview(await benchReview(stack, applications, 8));
} finally {
  await stack.stop();
}
