import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { ScenarioError } from '../local/scenario.ts';
import { simulate } from '../local/simulator.ts';

/**
 * `colend simulate <scenario.json> [--out <folder>]`: plays the story on an embedded local stack,
 * printing each settled day, and writes the lenders' files and `summary.json` to the folder.
 * Exit status 0 when every step was accepted, 1 when repayments were refused, 2 on a scenario
 * that does not validate (each problem printed with its JSON path).
 */
export async function runSimulation(file: string, out: string): Promise<number> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    console.error(`${file}: ${error instanceof Error ? error.message : String(error)}`);
    return 2;
  }
  try {
    const summary = await simulate(json, { out: resolve(out), log: (line) => console.log(line) });
    console.log(`${summary.scenario}: ${summary.loansBooked} loans, ${summary.repaymentsBooked} repayments, ${summary.eventsPlayed} events, ${summary.settledDates.length} business dates settled`);
    for (const application of summary.applications) {
      const answers = application.decisions.map((d) => `${d.lenderId} ${d.state}`).join(', ');
      console.log(`  application ${application.applicationId}: ${application.status}${answers === '' ? '' : ` (${answers})`}`);
    }
    for (const loss of summary.losses) console.log(`  ${loss.type === 'COMPENSATION' ? 'compensated' : 'written off'} ${loss.loanId} (${loss.eventId})`);
    for (const [lenderId, lender] of Object.entries(summary.lenders)) {
      console.log(
        `  ${lenderId}: outstanding principal ${lender.outstandingPrincipalMinor}, compensated ${lender.compensatedPrincipalMinor}, written off ${lender.writtenOffPrincipalMinor}, settled net ${lender.settledNetMinor} (minor units)`,
      );
    }
    for (const refused of summary.repaymentsRefused) console.log(`  refused ${refused.repaymentId}: ${refused.status} ${refused.code ?? ''}`.trimEnd());
    console.log(`files and summary.json in ${resolve(out)}`);
    return summary.repaymentsRefused.length === 0 ? 0 : 1;
  } catch (error) {
    if (error instanceof ScenarioError) {
      for (const problem of error.problems) console.error(`${problem.path}: ${problem.message}`);
      return 2;
    }
    throw error;
  }
}
