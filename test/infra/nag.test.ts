import { Validations } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../../infra/app.ts';

/**
 * The AWS Solutions pack over every shape of the stack a stage can choose: the default, the local
 * stage, a stage with its own key, one with CORS origins and tracing off. Every finding is fixed or
 * acknowledged on the resource it concerns, with a reason that says what the resource is for and
 * why the rule does not fit it, never a generic word.
 */
const SHAPES: readonly [string, Record<string, unknown>][] = [
  ['the default stage', {}],
  ['the local stage', { 'colend:stage': 'local' }],
  ['a stage with its own key, CORS origins and tracing off', { 'colend:customerManagedKeys': true, 'colend:corsOrigins': ['console'], 'colend:tracing': false }],
];

/** Reasons that say nothing about the resource: refused whatever their length. */
const GENERIC = [/^n\/?a$/i, /\bfalse positive\b/i, /\bnot (needed|required|applicable)\b/i, /\bacceptable\b/i, /\bsuppress/i, /\bignore/i, /\bTODO\b/, /\bfor now\b/i, /\bby design\b/i, /\bintended\b/i, /\bok\b/i, /\bfine\b/i];

interface Acknowledgment {
  readonly path: string;
  readonly id: string;
  readonly reason: string;
}

/** A reason's problem, or null: at least 40 characters and 7 words, no generic phrase, and more than the rule's own id. */
export function reasonProblem(ack: Pick<Acknowledgment, 'id' | 'reason'>): string | null {
  const reason = ack.reason.trim();
  if (reason.length < 40) return `the reason has ${reason.length} characters; at least 40 say what the resource is for`;
  if (reason.split(/\s+/).length < 7) return 'the reason has fewer than 7 words';
  const generic = GENERIC.find((pattern) => pattern.test(reason));
  if (generic !== undefined) return `the reason is generic (${String(generic)})`;
  if (reason.includes(ack.id)) return 'the reason repeats the rule';
  return null;
}

function acknowledgmentsOf(app: ReturnType<typeof buildApp>['app']): Acknowledgment[] {
  return app.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) => Object.entries(entry.data as Record<string, string>).map(([id, reason]) => ({ path: construct.node.path, id: id.replace(/^annotation::/i, ''), reason }))),
  );
}

// Each test synthesizes and checks a whole stack: a few seconds each, longer on a busy machine.
describe('cdk-nag AwsSolutions over every shape of the stack', { timeout: 240_000 }, () => {
  for (const [label, context] of SHAPES) {
    it(`${label}: no finding left, no error or warning, every acknowledgment on a resource with a specific reason`, () => {
      const { app, stack } = buildApp({ bundling: false, context });
      const report = new AwsSolutionsChecks().validateScope(app);
      expect(report.violations.map((v) => `${v.ruleName} at ${v.violatingResources.map((r) => r.constructPath).join(', ')}`)).toEqual([]);
      expect(Annotations.fromStack(stack).findError('*', Match.anyValue())).toEqual([]);
      expect(Annotations.fromStack(stack).findWarning('*', Match.anyValue())).toEqual([]);
      const acknowledgments = acknowledgmentsOf(app);
      expect(acknowledgments.length).toBeGreaterThan(0);
      const problems = acknowledgments.flatMap((ack) => {
        const onWhole = /^(|Colend)$/.test(ack.path) ? ['acknowledged on the whole app or stack'] : [];
        const problem = reasonProblem(ack);
        return [...onWhole, ...(problem === null ? [] : [problem])].map((what) => `${ack.id} at ${ack.path}: ${what}`);
      });
      expect(problems).toEqual([]);
    });
  }

  it('the reason check refuses what says nothing about the resource, and takes what does', () => {
    expect(reasonProblem({ id: 'AwsSolutions-S1', reason: 'Not needed.' })).toBe('the reason has 11 characters; at least 40 say what the resource is for');
    expect(reasonProblem({ id: 'AwsSolutions-S1', reason: 'This finding is a false positive for this particular bucket resource.' })).toBe('the reason is generic (/\\bfalse positive\\b/i)');
    expect(reasonProblem({ id: 'AwsSolutions-S1', reason: 'AwsSolutions-S1 does not apply to this bucket of the stack at all.' })).toBe('the reason repeats the rule');
    expect(reasonProblem({ id: 'AwsSolutions-S1', reason: 'Access_logging_is_off_for_this_bucket_resource_here' })).toBe('the reason has fewer than 7 words');
    expect(
      reasonProblem({ id: 'AwsSolutions-S1', reason: 'The bucket holds only the built console, written by each deployment and read by the distribution; nothing in it is data.' }),
    ).toBeNull();
  });
});
