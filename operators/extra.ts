import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { OperatorFunction } from 'rxjs';
import type { RunContext, StageStats } from '../lib/context.ts';
import { runnable } from '../lib/code/given.ts';
import { mutateInputs } from '../lib/code/mutate.ts';
import { parseJson, stringifyJson } from '../lib/json.ts';
import { hash32 } from '../lib/random.ts';
import { ROOT } from '../lib/root.ts';
import type { ExecPool } from '../lib/sandbox/pool.ts';
import { Problem } from '../lib/schemas.ts';
import { stage } from '../lib/stage.ts';
import { bookRun } from '../lib/sandbox/book.ts';

/** Options of `extra`. */
export interface ExtraOptions {
  /** The sandbox, where the references (and the trusted argument reader) run. */
  pool: () => ExecPool;
  /** Problems at once (the pool's size). */
  concurrency: number;
  /** Tests to add to each problem at most. */
  count: number;
  /** The run's seed: each problem's mutations come from it and the problem's id alone. */
  seed: number;
}

/** Mutated inputs tried per test wanted: many are refused by a reference (its preconditions) or disagreed on. */
const TRIES_PER_TEST = 3;

let CALL_ARGS: string | undefined;
const callArgsProgram = () => (CALL_ARGS ??= readFileSync(join(ROOT, 'python', 'call_args.py'), 'utf8'));

/** The function an assert test checks through `check(name)` (HumanEval's layout) or `check(Solution().name)`
 *  (LeetCodeDataset's): `candidate` stands for it, and a call test calls the method of `Solution()` by name. */
function checkedName(code: string): string | undefined {
  return /^check\((?:Solution\(\)\.)?(\w+)\)\s*$/m.exec(code)?.[1];
}

/**
 * The function under test and its inputs, as the judge's text of each argument list: a call test's own
 * inputs; for assert tests, the literal arguments of the calls they make to the function (read in the
 * sandbox by python/call_args.py, which parses the tests and never runs them). Undefined where there is
 * no such function or no input to start from.
 */
async function seedInputs(
  p: Problem,
  pool: ExecPool,
  stats: StageStats,
): Promise<{ fn_name: string; inputs: string[] } | undefined> {
  const t = p.tests;
  if (t.kind === 'call') {
    if (t.encoded) return { fn_name: t.fn_name, inputs: t.inputs as string[] };
    // plain JSON inputs: lists are argument lists; objects would read as the judge's tags, so they are no seeds
    const plain = (v: unknown): boolean =>
      Array.isArray(v) ? v.every(plain) : v === null || typeof v !== 'object';
    const inputs = t.inputs.filter((x) => Array.isArray(x) && plain(x)).map((x) => stringifyJson(x));
    return { fn_name: t.fn_name, inputs };
  }
  if (t.kind !== 'assert') return undefined;
  const checked = checkedName(t.code);
  const names = [...(t.entry_points ?? []), ...(checked ? ['candidate'] : [])];
  if (!names.length) return undefined;
  const r = await pool.run({
    id: `${p.problem_id}/call_args`,
    code: callArgsProgram(),
    // the reference tells the parameters' order, for tests that pass keywords (LeetCode's `candidate(n = 7)`)
    tests: {
      kind: 'call',
      fn_name: 'call_args',
      inputs: [[t.code, names, p.solutions[0] ?? '', checked ?? null]],
      outputs: [null],
    },
    record: true,
  });
  bookRun(stats, p.source, r);
  const text = r.outputs?.[0];
  if (!text) throw new Error(`call_args did not read ${p.problem_id}'s tests: ${r.error ?? r.verdict}`);
  const calls = parseJson(text) as [string, unknown[]][];
  const byName = new Map<string, string[]>();
  for (const [name, args] of calls) {
    const fn = name === 'candidate' ? checked! : name;
    byName.set(fn, [...(byName.get(fn) ?? []), stringifyJson(args)]);
  }
  // the function the tests call most: MBPP's tests may call a helper too
  const best = [...byName].sort((a, b) => b[1].length - a[1].length)[0];
  return best && { fn_name: best[0], inputs: [...new Set(best[1])] };
}

/**
 * `--extra-tests N`: up to N added tests for each problem whose tests call a function (call tests, and assert
 * tests whose calls have literal arguments), made by type-aware mutation of its inputs (lib/code/mutate.ts,
 * seeded by the run's seed and the problem id), each kept only where every reference that passes the
 * problem's own tests returns the same value without raising or being stopped, under the sandbox's limits.
 * The references run in the sandbox in the judge's recording mode; the added tests go to `extra_tests`,
 * which `label` and `check` run after a program passed the problem's own tests. A problem with nothing to
 * add passes unchanged (counted by why); none is rejected here.
 */
export function extraTests(ctx: RunContext, opts: ExtraOptions): OperatorFunction<Problem, Problem> {
  return stage(
    ctx,
    {
      name: 'extra',
      input: Problem,
      output: Problem,
      id: (p) => p.problem_id,
      concurrency: opts.concurrency,
    },
    (stats) => async (p) => {
      const skip = (why: string) => {
        stats.stat(`problems_unchanged_${why}`);
        return [p];
      };
      if (opts.count <= 0) return [p];
      const pool = opts.pool();
      const seeds = await seedInputs(p, pool, stats);
      if (!seeds?.inputs.length) return skip(seeds ? 'no_literal_inputs' : 'not_a_function');
      const tried = mutateInputs(seeds.inputs, opts.count * TRIES_PER_TEST, hash32(p.problem_id, opts.seed));
      if (!tried.length) return skip('no_mutation');
      // the references that pass the problem's own tests
      const refs: string[] = [];
      for (const [i, s] of p.solutions.entries()) {
        const code = runnable(p, s);
        const r = await pool.run({ id: `${p.problem_id}/extra_ref${i}`, code, tests: p.tests });
        bookRun(stats, p.source, r);
        if (r.verdict === 'pass') refs.push(code);
      }
      if (!refs.length) return skip('no_passing_reference');
      // each mutated input: the value all of them returned, or null where one raised, was stopped or disagreed
      let agreed: (string | null)[] | undefined;
      let given: (string | null)[] = [];
      for (const [i, code] of refs.entries()) {
        const r = await pool.run({
          id: `${p.problem_id}/extra_record${i}`,
          code,
          tests: {
            kind: 'call',
            fn_name: seeds.fn_name,
            inputs: tried,
            outputs: tried.map(() => null),
            encoded: true,
          },
          record: true,
        });
        bookRun(stats, p.source, r);
        // a run stopped on one input (time, memory) answered none after it: those are dropped too
        const got = tried.map((_, k) => r.outputs?.[k] ?? null);
        if (!agreed) {
          agreed = got;
          given = tried.map((_, k) => r.inputs?.[k] ?? null);
        } else agreed = agreed.map((o, k) => (o !== null && o === got[k] ? o : null));
      }
      const keep: number[] = [];
      agreed!.forEach((o, k) => {
        if (o !== null && given[k] !== null && keep.length < opts.count) keep.push(k);
      });
      stats.stat('inputs_tried', tried.length);
      stats.stat('inputs_refused', tried.length - agreed!.filter((o) => o !== null).length);
      if (!keep.length) return skip('no_input_kept');
      stats.stat('problems_extended');
      stats.stat('tests_added', keep.length);
      const atol = p.tests.kind === 'call' ? p.tests.atol : undefined;
      return [
        {
          ...p,
          extra_tests: {
            fn_name: seeds.fn_name,
            inputs: keep.map((k) => given[k]!),
            outputs: keep.map((k) => agreed![k]!),
            ...(atol ? { atol } : {}),
          },
        },
      ];
    },
  );
}
