import { existsSync, readFileSync, statSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import type { OperatorFunction } from 'rxjs';
import type { RunContext } from '../lib/context.ts';
import { Problem } from '../lib/schemas.ts';
import { Rejected, stage } from '../lib/stage.ts';

/** Options of `checkers`. */
export interface CheckersOptions {
  /** A folder holding `<problem_id>.py` (an id with `/` is a path under it: `HumanEval/3.py`). */
  dir: string;
}

/**
 * Gives a problem its checker: the Python file named after it in `dir`, defining
 * `check(input, output, expected) -> bool`. The sandbox's judge then asks the checker instead of comparing
 * answers (for stdio, the test's input and the program's output as text; for call tests, the arguments and
 * the returned value as data), and the label check no longer reads a reference's other answer as a problem
 * with several valid answers. The checker is the user's code, trusted like the judge.
 *
 * @example
 * pipe(checkers(ctx, { dir: 'checkers' }), solutions(ctx), format(ctx))
 */
export function checkers(ctx: RunContext, opts: CheckersOptions): OperatorFunction<Problem, Problem> {
  const dir = resolve(opts.dir);
  if (!existsSync(dir) || !statSync(dir).isDirectory())
    throw new Error(`--checkers ${opts.dir}: not a folder (it should hold <problem_id>.py files)`);
  return stage(
    ctx,
    { name: 'checkers', input: Problem, output: Problem, id: (p) => p.problem_id },
    (stats) => (p) => {
      const file = resolve(dir, `${p.problem_id}.py`);
      const inside = relative(dir, file);
      if (inside.startsWith('..') || resolve(dir, inside) !== file)
        throw new Rejected(
          'checker_path',
          `the id ${JSON.stringify(p.problem_id)} names no file inside ${opts.dir}`,
        );
      if (!existsSync(file)) return [p];
      if (p.tests.kind === 'assert') {
        // its asserts already judge: nothing to replace
        stats.stat('checker_unused_assert_tests');
        return [p];
      }
      stats.stat('with_checker');
      return [{ ...p, tests: { ...p.tests, checker: readFileSync(file, 'utf8') } }];
    },
  );
}
