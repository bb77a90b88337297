import type { OperatorFunction } from 'rxjs';
import type { RunContext } from '../lib/context.ts';
import { runnable } from '../lib/code/given.ts';
import type { ExecPool } from '../lib/sandbox/pool.ts';
import {
  Candidate,
  CheckedCandidate,
  extraTestSpec,
  type TestResult,
  type TestSpec,
} from '../lib/schemas.ts';
import { stage } from '../lib/stage.ts';
import { bookRun } from '../lib/sandbox/book.ts';

/** How a candidate's time limit per test follows from its reference solution's CPU time on that test. */
export interface TimeLimits {
  /** A candidate's test may take this many times the reference's CPU time (0: the flat `--test-timeout`). */
  factor: number;
  /** ... and never less than this many CPU seconds (the reference's time is counted in 10 ms ticks). */
  floor_s: number;
}

/** evalplus's rule, max(floor, factor × reference), on CPU time: factor 4 as evalplus; a 0.5 s floor
 *  instead of its 4 s of wall time, because CPU time does not grow when the machine is loaded. */
export const DEFAULT_TIME_LIMITS: TimeLimits = { factor: 4, floor_s: 0.5 };

/** Options of `check`. */
export interface CheckOptions {
  pool: ExecPool;
  timeLimits?: TimeLimits;
}

/** CPU seconds per test for a program whose reference took `refMs` per test; undefined: the flat limit. */
export function testLimits(refMs: number[] | undefined, t: TimeLimits): number[] | undefined {
  if (!t.factor || !refMs?.length) return undefined;
  return refMs.map((ms) => Math.max(t.floor_s, (t.factor * ms) / 1000));
}

/**
 * Whether a program passed the first `base` tests (the dataset's own, before the added ones), from its test
 * results; undefined when the tests have no such split. The judge runs call tests in order and stops only
 * after a test that ended the program, so the base tests' results are all there whenever a later one failed.
 */
export function basePass(tests: TestSpec, results: TestResult[]): boolean | undefined {
  if (tests.kind !== 'call' || tests.base === undefined || tests.base >= tests.inputs.length)
    return undefined;
  return results.length >= tests.base && results.slice(0, tests.base).every((t) => t.verdict === 'pass');
}

/**
 * Runs each candidate program, `prefix + candidate + suffix` after the code its task gives, on its problem's tests in the sandbox and
 * records the verdict, each test limited by its reference time (`timeLimits`) and by the pool's cap.
 * Every verdict goes on (pairing decides what to use); the verdict counts are stage counters.
 *
 * @example
 * pipe(generate(ctx, { generator }), check(ctx, { pool }))
 */
export function check(ctx: RunContext, opts: CheckOptions): OperatorFunction<Candidate, CheckedCandidate> {
  const id = (c: Candidate) => `${c.target_id}#${c.candidate_index}`;
  const limits = opts.timeLimits ?? DEFAULT_TIME_LIMITS;
  return stage(
    ctx,
    { name: 'check', input: Candidate, output: CheckedCandidate, id, concurrency: opts.pool.size },
    (stats) => async (c) => {
      const perTest = testLimits(c.ref_cpu_ms, limits);
      const code = runnable(c.problem, c.prefix + c.candidate + c.suffix);
      const r = await opts.pool.run({
        id: id(c),
        code,
        tests: c.problem.tests,
        ...(perTest ? { test_cpu_s: perTest } : {}),
      });
      if (r.retried) stats.stat('timeout_reruns');
      bookRun(stats, c.problem.source, r);
      let passed_tests = r.tests.filter((x) => x.verdict === 'pass').length;
      let { verdict, error = '' } = r;
      let extra_fail: true | undefined;
      const extra = extraTestSpec(c.problem);
      if (r.verdict === 'pass' && extra) {
        // `--extra-tests`: a candidate that passed the problem's own tests runs on the added ones (under the
        // flat limit: the references' times on them are not kept); failing one makes it a wrong candidate
        const x = await opts.pool.run({ id: `${id(c)}+extra`, code, tests: extra });
        bookRun(stats, c.problem.source, x);
        passed_tests += x.tests.filter((t) => t.verdict === 'pass').length;
        if (x.verdict !== 'pass') {
          stats.stat('extra_tests_caught');
          ({ verdict, error = '' } = x);
          extra_fail = true;
        }
      }
      stats.stat(`verdict_${verdict}`);
      const base = basePass(c.problem.tests, r.tests);
      if (base && r.verdict !== 'pass') stats.stat('base_pass_plus_fail');
      return [
        {
          ...c,
          verdict,
          error,
          passed_tests,
          ...(base === undefined ? {} : { base_pass: base }),
          ...(extra_fail ? { extra_fail } : {}),
        },
      ];
    },
  );
}
