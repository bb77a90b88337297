import type { RunContext } from '../lib/context.ts';
import { readAll, readUnits, type InputUnit, type UnitOptions } from '../lib/units.ts';
import { Problem } from '../lib/schemas.ts';
import { apps } from './apps.ts';
import { appsDir } from './apps-dir.ts';
import { codecontests } from './codecontests.ts';
import { humaneval } from './humaneval.ts';
import { leetcode } from './leetcode.ts';
import { livecodebench } from './livecodebench.ts';
import { mbpp } from './mbpp.ts';
import { taco } from './taco.ts';

/** Every dataset layout StructFlow reads, in detection order (the first whose `detect` accepts a row). */
export const READERS = [leetcode, humaneval, mbpp, codecontests, livecodebench, taco, apps, appsDir];

/** `--input-format` values. */
export const INPUT_FORMATS = READERS.map((r) => r.name);

export type ProblemReadOptions = Omit<UnitOptions<Problem>, 'readers' | 'schema' | 'position'>;

const problems = (opts: ProblemReadOptions): UnitOptions<Problem> => ({
  ...opts,
  readers: READERS,
  schema: Problem,
  position: (p, problem_index) => ({ ...p, problem_index }),
});

/** Problems of any supported input, in units. */
export const readProblemUnits = (
  ctx: RunContext,
  input: string,
  opts: ProblemReadOptions = {},
): AsyncGenerator<InputUnit<Problem>> => readUnits(ctx, input, problems(opts));

/**
 * Problems of any supported input. Rows that cannot be read or converted go to the rejects output
 * of the `read` stage with their file position and the reason; the run goes on.
 */
export const readProblems = (ctx: RunContext, input: string, opts: ProblemReadOptions = {}) =>
  readAll(ctx, input, problems(opts));

/** The layout a row is in, by the readers' `detect` (undefined when none accepts it). */
export const detectFormat = (row: Record<string, unknown>) => READERS.find((r) => r.detect?.(row))?.name;
