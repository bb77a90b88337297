import type { OperatorFunction } from 'rxjs';
import type { RunContext } from '../lib/context.ts';
import {
  DEFAULT_FAMILY,
  chatContext,
  fimContext,
  promptFamily,
  startString,
  taskOf,
} from '../lib/code/prompts.ts';
import { PromptedTarget, Target } from '../lib/schemas.ts';
import { stage } from '../lib/stage.ts';

/** Options of `fim`. */
export interface FimOptions {
  /** Token set of the model family: qwen (default), starcoder, deepseek or codellama. */
  family?: string;
  /** The stage's name in counts and reports. Default `fim` (Target-DPO, which makes no FIM prompt of its own, says `prompt`). */
  name?: string;
}

/**
 * Builds the prompts of each target: the fill-in-the-middle generation prompt (the question as comments,
 * the prefix, the suffix), ending with the start string (indentation + keyword of the block), and the chat
 * prompt, the same context the pair is trained in. Full targets are generated in chat form only, so their
 * `fim_prompt` is empty; their user turn ends with the problem's interface (its starter code), and the
 * model writes the whole program after the opened code fence.
 *
 * @example
 * pipe(split(ctx), fim(ctx, { family: 'starcoder' }))
 */
export function fim(ctx: RunContext, opts: FimOptions = {}): OperatorFunction<Target, PromptedTarget> {
  const family = promptFamily(opts.family ?? DEFAULT_FAMILY);
  return stage(
    ctx,
    { name: opts.name ?? 'fim', input: Target, output: PromptedTarget, id: (t) => t.target_id },
    () => (t) => {
      const task = taskOf(t.problem);
      const common = {
        ...t,
        question: task.question,
        starter_code: task.starter_code,
        chat_prompt: chatContext(family, task, t.prefix),
        prompt_family: family.name,
      };
      if (t.kind === 'full') return [{ ...common, fim_prompt: '', gen_start: '' }];
      const gen_start = startString(t.middle, t.block_type);
      const fim_prompt = fimContext(family, task, t.prefix, t.suffix, { instruction: false }) + gen_start;
      return [{ ...common, fim_prompt, gen_start }];
    },
  );
}
