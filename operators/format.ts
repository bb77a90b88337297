import type { OperatorFunction } from 'rxjs';
import type { RunContext } from '../lib/context.ts';
import { DEFAULT_LINE_LENGTH, FormatError, FormatterCrash, formatPython } from '../lib/code/format.ts';
import { FormattedSolution, RawSolution } from '../lib/schemas.ts';
import { Rejected, stage } from '../lib/stage.ts';

/** Options of `format`. */
export interface FormatOptions {
  /** Line length of the Black style. Default 88, as the reference. */
  lineLength?: number;
}

/**
 * Black-style formatting of each solution. A solution the formatter cannot parse
 * (Python 2 is common in APPS) is rejected as `unparsable` with the formatter's message; one the formatter
 * itself fails on (code nested about a thousand levels deep) as `formatter_crash` with the engine's message, and
 * the rows after it are formatted as they would be without it.
 *
 * @example
 * pipe(solutions(ctx), format(ctx, { lineLength: 88 }))
 */
export function format(
  ctx: RunContext,
  opts: FormatOptions = {},
): OperatorFunction<RawSolution, FormattedSolution> {
  const lineLength = opts.lineLength ?? DEFAULT_LINE_LENGTH;
  const id = (s: RawSolution) => `${s.problem_id}/${s.solution_index}`;
  return stage(ctx, { name: 'format', input: RawSolution, output: FormattedSolution, id }, () => (s) => {
    try {
      return [{ ...s, code: formatPython(s.code, lineLength), formatted: true as const }];
    } catch (err) {
      if (err instanceof FormatError) throw new Rejected('unparsable', err.message);
      if (err instanceof FormatterCrash) throw new Rejected('formatter_crash', err.message);
      throw err;
    }
  });
}
