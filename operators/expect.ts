import type { OperatorFunction } from 'rxjs';
import type { RunContext } from '../lib/context.ts';
import type { ExecPool, Limits } from '../lib/sandbox/pool.ts';
import { Problem } from '../lib/schemas.ts';
import { Rejected, stage } from '../lib/stage.ts';
import { bookRun } from '../lib/sandbox/book.ts';

/** Inputs a reference may be stopped on (each costs a fresh run of it) before its problem is rejected: HumanEval+/15
 *  has 21 inputs whose answer is past the 1 MiB output limit. */
const MAX_STOPS = 50;

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
 * (the judge's own text, `encoded`, so big integers and tuples survive), and so does the input as the reference
 * took it: one its contract refuses as JSON gave it is tried as tuples and with floats (`inputs_retyped`; JSON
 * has neither). An input it still raises on (its contract's asserts) is dropped, counted as `inputs_dropped` and
 * `inputs_dropped_<exception>`, and so is one it is stopped
 * on (`inputs_dropped_timeout`, `_output_limit`, `_memory`: a candidate would be stopped there too), after which
 * it runs again from the next input; the base count shrinks with the base inputs dropped. A problem whose
 * reference does not compile, is stopped more than MAX_STOPS times, or answers no input, is rejected. Problems with
 * their outputs already given pass unchanged. A later stage sees only ordinary call tests.
 *
 * @example
 * pipe(expectOutputs(ctx, { pool: () => pool, concurrency: pool.size }), solutions(ctx))
 */
export function expectOutputs(ctx: RunContext, opts: ExpectOptions): OperatorFunction<Problem, Problem> {
  return stage(
    ctx,
    {
      name: 'expect',
      input: Problem,
      output: Problem,
      id: (p) => p.problem_id,
      concurrency: opts.concurrency,
    },
    (stats) => async (p) => {
      const t = p.tests;
      if (t.kind !== 'call' || t.reference === undefined) return [p];
      const { reference, ...tests } = t;
      // per input: its expected output, or null where it is dropped
      const outputs: (string | null)[] = [];
      const given: (string | null)[] = []; // the inputs as the reference took them
      let firstDrop = '';
      const drop = (why: string, error = '') => {
        firstDrop ||= `${why}${error ? `: ${error}` : ''}`;
        outputs.push(null);
        given.push(null);
        stats.stat('inputs_dropped');
        stats.stat(`inputs_dropped_${why}`);
      };
      let stops = 0;
      while (outputs.length < t.inputs.length) {
        const from = outputs.length;
        const r = await opts.pool().run({
          id: `${p.problem_id}/reference@${from}`,
          code: reference,
          tests: { ...tests, inputs: t.inputs.slice(from) },
          record: true,
          ...(opts.limits ? { limits: opts.limits } : {}),
        });
        bookRun(stats, p.source, r);
        const got = r.outputs;
        if (!got || !r.inputs || r.verdict === 'compile_error')
          throw new Rejected(`reference_${r.verdict}`, `the reference does not run: ${r.error ?? r.verdict}`);
        if (r.retyped) stats.stat('inputs_retyped', r.retyped);
        got.forEach((o, i) => {
          if (o !== null) {
            outputs.push(o);
            given.push(r.inputs![i]!);
            return;
          }
          // a program's AssertionError (the contract's) reaches the judge as a RuntimeError that names it
          const e = r.tests[i]?.error ?? '';
          drop(/the program raised (\w+)/.exec(e)?.[1] ?? /^(\w+)/.exec(e)?.[1] ?? 'error', e);
        });
        if (outputs.length === t.inputs.length) break;
        // the reference was stopped on this input (time, memory, output): a candidate would be stopped there
        // too, under the same limits, so it is no test; the run goes on from the next input
        const stopped = r.tests[got.length]?.verdict ?? r.verdict;
        if (++stops > MAX_STOPS)
          throw new Rejected(
            `reference_${stopped}`,
            `the reference was stopped on ${stops} inputs: ${r.error ?? stopped}`,
          );
        drop(stopped, r.tests[got.length]?.error);
      }
      const keep = outputs.map((o) => o !== null);
      const inputs = given.filter((g) => g !== null);
      if (!inputs.length)
        throw new Rejected(
          'reference_answers_nothing',
          `the reference answered none of the ${t.inputs.length} inputs; the first: ${firstDrop}`,
        );
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
