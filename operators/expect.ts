import type { OperatorFunction } from 'rxjs';
import type { RunContext } from '../lib/context.ts';
import type { ExecPool, Limits } from '../lib/sandbox/pool.ts';
import { Problem } from '../lib/schemas.ts';
import { Rejected, stage } from '../lib/stage.ts';

/** Options of `expect`. */
export interface ExpectOptions {
  /** The sandbox, asked for on the first problem that has a reference to run (most inputs have none). */
  pool: () => ExecPool;
  /** Problems run at once (the pool's size). */
  concurrency: number;
  /** Limits of a reference's run; the pool's own where not given. */
  limits?: Partial<Limits>;
}

/**
 * Expected outputs for call tests that come with a reference instead (evalplus's layout): the reference runs
 * once per problem in the sandbox, on every input, and what it returns becomes that test's expected output
 * (the judge's own text, `encoded`, so big integers and tuples survive). An input it raises on (its contract's
 * asserts) is dropped, counted as `inputs_dropped` and `inputs_dropped_<exception>`; the base count shrinks with
 * the base inputs dropped. A problem whose reference cannot run, or answers no input, is rejected. Problems with
 * their outputs already given pass unchanged. A later stage sees only ordinary call tests.
 *
 * @example
 * pipe(expect(ctx, { pool: () => pool, concurrency: pool.size }), solutions(ctx))
 */
export function expect(ctx: RunContext, opts: ExpectOptions): OperatorFunction<Problem, Problem> {
  return stage(
    ctx,
    { name: 'expect', input: Problem, output: Problem, id: (p) => p.problem_id, concurrency: opts.concurrency },
    (stats) => async (p) => {
      const t = p.tests;
      if (t.kind !== 'call' || t.reference === undefined) return [p];
      const { reference, ...tests } = t;
      const r = await opts
        .pool()
        .run({ id: `${p.problem_id}/reference`, code: reference, tests, record: true, ...(opts.limits ? { limits: opts.limits } : {}) });
      if (r.cached) stats.stat('cache_hits');
      const outputs = r.outputs ?? [];
      if (!['pass', 'fail'].includes(r.verdict) || outputs.length !== t.inputs.length)
        throw new Rejected(
          `reference_${r.verdict === 'fail' || r.verdict === 'pass' ? 'error' : r.verdict}`,
          `the reference answered ${outputs.length} of ${t.inputs.length} inputs: ${r.error ?? r.verdict}`,
        );
      const keep = outputs.map((o) => o !== null);
      for (let i = 0; i < keep.length; i++)
        if (!keep[i]) {
          stats.stat('inputs_dropped');
          // a program's AssertionError (the contract's) reaches the judge as a RuntimeError that names it
          const e = r.tests[i]?.error ?? '';
          const kind = /the program raised (\w+)/.exec(e)?.[1] ?? /^(\w+)/.exec(e)?.[1] ?? 'error';
          stats.stat(`inputs_dropped_${kind}`);
        }
      const inputs = t.inputs.filter((_, i) => keep[i]);
      if (!inputs.length) throw new Rejected('reference_answers_nothing', `the reference raised on every input: ${r.error ?? ''}`);
      stats.stat('inputs_expected', inputs.length);
      return [
        {
          ...p,
          tests: {
            ...tests,
            inputs,
            outputs: outputs.filter((o) => o !== null),
            encoded: true,
            ...(t.base !== undefined ? { base: keep.slice(0, t.base).filter(Boolean).length } : {}),
          },
        },
      ];
    },
  );
}
