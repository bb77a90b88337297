import type { OperatorFunction } from 'rxjs';
import type { RunContext } from '../lib/context.ts';
import type { ExecPool } from '../lib/sandbox/pool.ts';
import { Candidate, CheckedCandidate } from '../lib/schemas.ts';
import { stage } from '../lib/stage.ts';

export interface CheckOptions {
  pool: ExecPool;
}

/**
 * Runs each candidate program, `prefix + candidate + suffix`, on its problem's tests in the sandbox
 * (SPEC §2.6) and records the verdict. Every verdict goes on (pairing decides what to use); the
 * verdict counts are stage counters.
 *
 * @example
 * pipe(generate(ctx, { generator }), check(ctx, { pool }))
 */
export function check(ctx: RunContext, opts: CheckOptions): OperatorFunction<Candidate, CheckedCandidate> {
  const id = (c: Candidate) => `${c.target_id}#${c.candidate_index}`;
  return stage(
    ctx,
    { name: 'check', input: Candidate, output: CheckedCandidate, id, concurrency: opts.pool.size },
    () => async (c) => {
      const r = await opts.pool.run({
        id: id(c),
        code: c.prefix + c.candidate + c.suffix,
        tests: c.problem.tests,
      });
      ctx.stat('check', `verdict_${r.verdict}`);
      return [{ ...c, verdict: r.verdict, error: r.error ?? '' }];
    },
  );
}
