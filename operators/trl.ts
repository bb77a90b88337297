import type { Tokenizer } from '../lib/code/tokenizer.ts';
import { z } from 'zod';
import { columnHints } from '../lib/columns.ts';
import type { RunContext } from '../lib/context.ts';
import { taskText } from '../lib/code/prompts.ts';
import { buildExample, FormatDraws, type TrainOptions } from '../lib/train/examples.ts';

/** A chat message list, stored as Parquet list<struct<role, content>> (what `datasets` reads as messages). */
const Messages = z.array(z.object({ role: z.string(), content: z.string() }));
columnHints.add(Messages, { type: 'messages' });
const Ids = z.array(z.number().int().nonnegative());

/** `--trl conversational` and `--trl pretokenized`: the pair schema with TRL's columns. */
export function trlSchema<T extends z.ZodObject>(pairs: T, mode: 'conversational' | 'pretokenized') {
  return mode === 'conversational'
    ? pairs.extend({ prompt: Messages, chosen: Messages, rejected: Messages })
    : pairs.extend({
        trl_format: z.enum(['fim', 'chat']),
        prompt_ids: Ids,
        chosen_ids: Ids,
        rejected_ids: Ids,
      });
}

type PairLike = {
  question: string;
  test_kind: string;
  starter_code: string;
  kind: string;
  prefix: string;
  suffix: string;
  chosen_middle: string;
  rejected_middle: string;
  rejected_diff_lines?: number[];
};

/** Options of `trl`. */
export interface TrlOptions {
  mode: 'conversational' | 'pretokenized';
  /** pretokenized: the tokenizer and the example options of the model to train (the trainer's seam). */
  tokenizer?: Tokenizer;
  example?: TrainOptions;
}

const program = (prefix: string, middle: string, suffix: string) =>
  '```python\n' + prefix + middle + suffix + '```';

/**
 * TRL-native rows, over the final output in its order. `conversational`: the question as the user's
 * message, the whole program (prefix + middle + suffix) as the assistant's, since a chat template cannot
 * continue a message it has closed; the identical prefix tokens cancel in the DPO margin, the suffix does
 * not. `pretokenized`: `prompt_ids`/`chosen_ids`/`rejected_ids` from the trainer's own examples (the same
 * seeded FIM/chat draw per pair, `trl_format` says which); a pair over the length limit is a `too_long`
 * reject, as the trainer drops it.
 */
export async function* trl<P extends PairLike>(
  ctx: RunContext,
  pairs: AsyncIterable<P>,
  opts: TrlOptions,
): AsyncGenerator<Record<string, unknown>> {
  const stats = ctx.stage('trl');
  const c = stats.counters;
  const ex = opts.example;
  const draws = ex ? new FormatDraws(ex.fimRate, ex.seed) : undefined;
  let n = 0;
  for await (const p of pairs) {
    c.in++;
    n++;
    if (opts.mode === 'conversational') {
      const user = [{ role: 'user', content: taskText(p, '') }]; // the answer is a whole program
      const side = (middle: string) => [{ role: 'assistant', content: program(p.prefix, middle, p.suffix) }];
      c.passed++;
      c.out++;
      yield { ...p, prompt: user, chosen: side(p.chosen_middle), rejected: side(p.rejected_middle) };
      continue;
    }
    const format = draws!.next(p.kind);
    const built = buildExample(p, format, opts.tokenizer!, ex!);
    if (!built) {
      stats.reject(`row ${n}`, 'too_long', `over ${ex!.maxLen} tokens in the ${format} format`);
      continue;
    }
    const ctxLen = built.chosen.mask.indexOf(1) < 0 ? built.chosen.ids.length : built.chosen.mask.indexOf(1);
    c.passed++;
    c.out++;
    yield {
      ...p,
      trl_format: format,
      prompt_ids: built.chosen.ids.slice(0, ctxLen),
      chosen_ids: built.chosen.ids.slice(ctxLen),
      rejected_ids: built.rejected.ids.slice(ctxLen),
    };
  }
}
