import type { OperatorFunction } from 'rxjs';
import type { RunContext } from '../lib/context.ts';
import { Problem } from '../lib/schemas.ts';
import { Rejected, stage } from '../lib/stage.ts';

/** Options of `window`. */
export interface WindowOptions {
  /** Keep problems released on or after this ISO date (`2024-08-01`). */
  since?: string;
  /** ... and before this one. */
  before?: string;
}

/**
 * Keeps the problems published inside a date window, as LiveCodeBench evaluates: problems released after a
 * model's training cutoff cannot be in its training data. A problem outside the window is rejected as
 * `outside_window`, one with no release date (its dataset gives none) as `no_release_date`, never kept silently.
 *
 * @example
 * pipe(window(ctx, { since: '2024-08-01' }), task(ctx))
 */
export function window(ctx: RunContext, opts: WindowOptions): OperatorFunction<Problem, Problem> {
  for (const [flag, d] of [
    ['since', opts.since],
    ['before', opts.before],
  ] as const)
    if (d !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(d))
      throw new Error(`--${flag} must be a date as YYYY-MM-DD, got "${d}"`);
  return stage(
    ctx,
    { name: 'window', input: Problem, output: Problem, id: (p) => p.problem_id },
    () => (p) => {
      if (!p.released) throw new Rejected('no_release_date', `${p.source} gives no release date for it`);
      if (opts.since && p.released < opts.since)
        throw new Rejected('outside_window', `released ${p.released}, before ${opts.since}`);
      if (opts.before && p.released >= opts.before)
        throw new Rejected('outside_window', `released ${p.released}, not before ${opts.before}`);
      return [p];
    },
  );
}
