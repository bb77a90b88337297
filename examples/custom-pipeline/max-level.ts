import { Rejected, stage, type OperatorFunction, type RunContext } from 'structflow';
import { Problem } from 'structflow/code-dpo';

export interface MaxLevelOptions {
  /** Problems above this level are rejected as `too_hard`. */
  max: number;
}

/**
 * A stage of our own: keeps the problems up to a level. It goes through StructFlow's `stage()`, so its input
 * and output are validated, its records counted, and a rejected problem lands in `rejects.jsonl` with the
 * reason, like any built-in stage's.
 *
 * @example
 * pipe(maxLevel(ctx, { max: 3 }), solutions(ctx))
 */
export function maxLevel(ctx: RunContext, opts: MaxLevelOptions): OperatorFunction<Problem, Problem> {
  return stage(
    ctx,
    { name: 'max-level', input: Problem, output: Problem, id: (p) => p.problem_id },
    (stats) => (p) => {
      const level = Number(p.difficulty);
      stats.stat(`level_${p.difficulty ?? 'unknown'}`);
      if (Number.isFinite(level) && level > opts.max)
        throw new Rejected('too_hard', `level ${level} > ${opts.max}`);
      return [p];
    },
  );
}
