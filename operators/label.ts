import { defer, tap, type OperatorFunction } from 'rxjs';
import type { RunContext } from '../lib/context.ts';
import type { ExecPool } from '../lib/sandbox/pool.ts';
import { FormattedSolution, LabeledSolution } from '../lib/schemas.ts';
import { Rejected, stage } from '../lib/stage.ts';

export interface LabelOptions {
  /** The sandbox that runs the programs. */
  pool: ExecPool;
}

/**
 * The label check (SPEC §2.2): runs every formatted reference solution on its problem's tests in the
 * sandbox. Only `pass` solutions go on; the others are rejected as `verdict_<verdict>` with the first
 * error. A problem none of whose solutions passes also gets a `no_passing_solution` line of its own.
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
  const run = stage(
    ctx,
    { name: stats.name, input: FormattedSolution, output: LabeledSolution, id, concurrency: opts.pool.size },
    () => async (s) => {
      const r = await opts.pool.run({ id: id(s), code: s.code, tests: s.problem.tests });
      stats.stat(`verdict_${r.verdict}`);
      if (r.retried) stats.stat('timeout_reruns');
      if (r.cached) stats.stat('cache_hits');
      if (r.verdict !== 'pass')
        throw new Rejected(`verdict_${r.verdict}`, r.error ?? `${r.verdict} on its tests`);
      return [{ ...s, verdict: r.verdict, test_results: r.tests }];
    },
  );
  // per subscription (one problem, when run by pullThrough): which problems came in, which got a pass
  return (source) =>
    defer(() => {
      const seen = new Set<string>();
      const passing = new Set<string>();
      return source.pipe(
        tap((s: FormattedSolution) => seen.add(s.problem_id)),
        run,
        tap({
          next: (s) => passing.add(s.problem_id),
          complete: () => {
            for (const p of seen) {
              if (passing.has(p)) continue;
              stats.stat('problems_without_pass');
              stats.rejectLine(p, 'no_passing_solution', 'no reference solution passed its tests');
            }
          },
        }),
      );
    });
}
