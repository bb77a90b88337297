import type { OperatorFunction } from 'rxjs';
import type { RunContext } from '../lib/context.ts';
import { Problem, Target } from '../lib/schemas.ts';
import { stage } from '../lib/stage.ts';

/**
 * A problem as a task for a model to solve whole: one `full` target with nothing given (empty prefix, middle
 * and suffix), whatever reference solutions the problem has. `fim` then gives it the chat prompt, with the
 * interface its tests call, and a model's answer is the whole program. What evaluation samples from.
 *
 * @example
 * pipe(task(ctx), fim(ctx), generate(ctx, { generator }), check(ctx, { pool }))
 */
export function task(ctx: RunContext): OperatorFunction<Problem, Target> {
  return stage(ctx, { name: 'task', input: Problem, output: Target, id: (p) => p.problem_id }, () => (p) => [
    {
      problem: p,
      problem_id: p.problem_id,
      solution_index: 0,
      target_id: `${p.problem_id}/task`,
      kind: 'full',
      block_type: 'full',
      depth: 0,
      start_line: 1,
      end_line: 1,
      prefix: '',
      middle: '',
      suffix: '',
    },
  ]);
}
