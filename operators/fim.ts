import type { OperatorFunction } from 'rxjs';
import type { RunContext } from '../lib/context.ts';
import { DEFAULT_FAMILY, convertQuestion, promptFamily, startString } from '../lib/code/prompts.ts';
import { PromptedTarget, Target } from '../lib/schemas.ts';
import { stage } from '../lib/stage.ts';

export interface FimOptions {
  /** Token set of the model family: qwen (default), starcoder, deepseek or codellama. */
  family?: string;
}

/**
 * Builds the prompts of each target (SPEC §2.4): the fill-in-the-middle generation prompt, ending
 * with the start string (indentation + keyword of the block), and the chat prompt. Full targets are
 * generated in chat form only, so their `fim_prompt` is empty and their chat prompt ends with the
 * starter code.
 *
 * @example
 * pipe(split(ctx), fim(ctx, { family: 'starcoder' }))
 */
export function fim(ctx: RunContext, opts: FimOptions = {}): OperatorFunction<Target, PromptedTarget> {
  const family = promptFamily(opts.family ?? DEFAULT_FAMILY);
  return stage(
    ctx,
    { name: 'fim', input: Target, output: PromptedTarget, id: (t) => t.target_id },
    () => (t) => {
      const question = t.problem.question;
      const starter = t.problem.starter_code;
      const chatHead = family.chat(question) + '```python\n';
      if (t.kind === 'full') {
        return [
          {
            ...t,
            question,
            starter_code: starter,
            fim_prompt: '',
            chat_prompt: chatHead + starter,
            gen_start: '',
            prompt_family: family.name,
          },
        ];
      }
      const gen_start = startString(t.middle, t.block_type);
      const fim_prompt = family.fim(`${convertQuestion(question)}\n\n${t.prefix}`, t.suffix) + gen_start;
      return [
        {
          ...t,
          question,
          starter_code: starter,
          fim_prompt,
          chat_prompt: chatHead + t.prefix,
          gen_start,
          prompt_family: family.name,
        },
      ];
    },
  );
}
