import type { RunContext } from '../lib/context.ts';
import { readAll, readUnits, type InputUnit, type Reader, type UnitOptions } from '../lib/units.ts';
import { Problem } from '../lib/schemas.ts';
import { apps } from './apps.ts';
import { appsDir } from './apps-dir.ts';
import { codecontests } from './codecontests.ts';
import { evalplus } from './evalplus.ts';
import { humaneval } from './humaneval.ts';
import { leetcode } from './leetcode.ts';
import { livecodebench } from './livecodebench.ts';
import { mbpp } from './mbpp.ts';
import { taco } from './taco.ts';

/** Every dataset layout StructFlow reads, in detection order (the first whose `detect` accepts a row). */
export const READERS: Reader<Problem>[] = [
  leetcode,
  evalplus, // before humaneval and mbpp: its rows have their fields too
  humaneval,
  mbpp,
  codecontests,
  livecodebench,
  taco,
  apps,
  appsDir,
];

/** `--input-format` values. */
export const INPUT_FORMATS: string[] = READERS.map((r) => r.name);

/**
 * Adds a dataset layout of your own: `--input-format NAME` picks it, and its `detect` is tried before the
 * built-in readers'. Call it where your pipeline module is loaded (at its top level).
 *
 * @example
 * registerReader({
 *   name: 'my-layout',
 *   detect: (row) => 'my_id' in row,
 *   required: ['my_id', 'statement', 'programs', 'io'],
 *   convert: (row) => ({ problem_id: String(row.my_id), source: 'my-layout', … }),
 * });
 */
export function registerReader(reader: Reader<Problem>): void {
  if (INPUT_FORMATS.includes(reader.name)) throw new Error(`a reader named "${reader.name}" exists already`);
  READERS.unshift(reader);
  INPUT_FORMATS.push(reader.name);
}

/** How problems are read: unit size, `--input-format`, a rank's share, a limit. */
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
