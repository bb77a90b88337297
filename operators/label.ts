import { defer, from, mergeMap, tap, toArray, type OperatorFunction } from 'rxjs';
import type { RunContext } from '../lib/context.ts';
import { runnable } from '../lib/code/given.ts';
import type { ExecPool } from '../lib/sandbox/pool.ts';
import { FormattedSolution, LabeledSolution, extraTestSpec, type TestSpec } from '../lib/schemas.ts';
import { Rejected, stage } from '../lib/stage.ts';
import { bookRun } from '../lib/sandbox/book.ts';

/** Options of `label`. */
export interface LabelOptions {
  /** The sandbox that runs the programs. */
  pool: ExecPool;
}

/**
 * The label check: runs every formatted reference solution on its problem's tests in the sandbox. Only
 * `pass` solutions go on; the others are rejected as `verdict_<verdict>` with the first error. A problem
 * none of whose solutions passes also gets a `no_passing_solution` line of its own.
 *
 * References are accepted submissions, so one that ran and gave another answer than the expected one
 * (verdict `fail` on a stdio or call test, where StructFlow compares answers) is evidence that the problem
 * accepts several answers. No comparison is right for such a problem: a correct candidate printing another
 * valid answer would become a rejected side. So its passing references are held back as
 * `multiple_valid_outputs` (naming the reference and the test), and it gives no targets, unless the problem
 * has a checker (`--checkers`), which judges answers instead of comparing them. A problem none of whose
 * references passes is named `multiple_valid_outputs` too, rather than `no_passing_solution`, when they
 * gave other answers and its statement accepts any ("print any of them"): a checker would recover them.
 *
 * @example
 * pipe(format(ctx), label(ctx, { pool: new ExecPool() }), split(ctx))
 */
export function label(
  ctx: RunContext,
  opts: LabelOptions,
): OperatorFunction<FormattedSolution, LabeledSolution> {
  const id = (s: FormattedSolution) => `${s.problem_id}/${s.solution_index}`;
  const stats = ctx.stage('label');
  // per subscription (one problem, when run by pullThrough): a problem's passing solutions wait for
  // its last verdict, since a later reference may show that it has several valid answers
  return (source) =>
    defer(() => {
      const seen = new Set<string>();
      const others = new Map<string, { index: number; why: string }>(); // the first reference that answered otherwise
      const answeredOtherwise = new Map<string, number>(); // references per problem that ran and answered otherwise
      const questions = new Map<string, string>();
      const run = stage(
        ctx,
        {
          name: stats.name,
          input: FormattedSolution,
          output: LabeledSolution,
          id,
          concurrency: opts.pool.size,
        },
        () => async (s) => {
          const code = runnable(s.problem, s.code);
          const r = await opts.pool.run({ id: id(s), code, tests: s.problem.tests });
          stats.stat(`verdict_${r.verdict}`);
          if (r.retried) stats.stat('timeout_reruns');
          bookRun(stats, s.problem.source, r);
          const extra = extraTestSpec(s.problem);
          if (r.verdict === 'pass' && extra) {
            // the added tests (`--extra-tests`) came from the references' own answers: one fails them only
            // where it was stopped now and not then, and it is no reference of them
            const x = await opts.pool.run({ id: `${id(s)}+extra`, code, tests: extra });
            bookRun(stats, s.problem.source, x);
            if (x.verdict !== 'pass')
              throw new Rejected(`extra_verdict_${x.verdict}`, x.error ?? `${x.verdict} on its added tests`);
          }
          if (r.verdict === 'pass') return [{ ...s, verdict: r.verdict, test_results: r.tests }];
          const known = others.get(s.problem_id);
          if (r.verdict === 'fail' && comparesAnswers(s.problem.tests))
            answeredOtherwise.set(s.problem_id, (answeredOtherwise.get(s.problem_id) ?? 0) + 1);
          if (
            r.verdict === 'fail' &&
            comparesAnswers(s.problem.tests) &&
            !(known && known.index < s.solution_index)
          )
            others.set(s.problem_id, {
              index: s.solution_index,
              why: `reference ${s.solution_index} gave another answer: ${r.error ?? 'wrong answer'}`,
            });
          throw new Rejected(`verdict_${r.verdict}`, r.error ?? `${r.verdict} on its tests`);
        },
      );
      return source.pipe(
        tap((s: FormattedSolution) => {
          seen.add(s.problem_id);
          questions.set(s.problem_id, s.problem.question);
        }),
        run,
        toArray(),
        mergeMap((passed) => {
          const out: LabeledSolution[] = [];
          for (const p of seen) {
            const mine = passed.filter((s) => s.problem_id === p);
            const other = others.get(p);
            if (mine.length && other) {
              stats.stat('problems_multiple_valid_outputs');
              for (const s of mine) stats.withdraw(id(s), 'multiple_valid_outputs', other.why);
            } else if (mine.length) out.push(...mine);
            else if (other && acceptsAnyAnswer(questions.get(p) ?? '')) {
              const n = answeredOtherwise.get(p) ?? 0;
              stats.stat('problems_multiple_valid_outputs');
              stats.stat('references_a_checker_would_recover', n);
              stats.rejectLine(
                p,
                'multiple_valid_outputs',
                `no reference passed the comparison, ${n} gave other answers, and the statement accepts any valid ` +
                  `answer ("${acceptsAnyAnswer(questions.get(p) ?? '')}"): a checker (--checkers) would judge them`,
              );
            } else {
              stats.stat('problems_without_pass');
              stats.rejectLine(p, 'no_passing_solution', 'no reference solution passed its tests');
            }
          }
          return from(out);
        }),
      );
    });
}

/**
 * The words of a statement that accept any of several answers ("print any of them", "if there are several
 * answers"), or undefined: then a reference answering otherwise is not itself wrong.
 */
export function acceptsAnyAnswer(question: string): string | undefined {
  return /\b(?:print|output) any (?:of them|one of them|such \w+|valid \w+|correct \w+|one)\b|\bif there are (?:several|multiple|many) (?:possible )?(?:answers|solutions|ways)\b|\bany (?:valid|correct) (?:answer|solution)\b/i.exec(
    question,
  )?.[0];
}

/** Tests whose answers StructFlow compares (assert tests judge themselves); a checker judges instead. */
const comparesAnswers = (t: TestSpec) => t.kind !== 'assert' && !t.checker;
