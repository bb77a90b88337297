import type { Tokenizer } from '../code/tokenizer.ts';
import { chatContext, fimContext, promptFamily } from '../code/prompts.ts';
import { prng } from '../random.ts';
import { lineRanges, maskOverlapping, tokenSpans } from '../code/token-spans.ts';

/** How pair rows become training examples (docs/training.md, Training). */
export interface TrainOptions {
  /** Probability of the FIM format for a block pair (full pairs are always chat). Default 0.5. */
  fimRate: number;
  /** Seed of the per-pair FIM/chat draws. */
  seed: number;
  /** Pairs longer than this many tokens (either side) are dropped. Default 2048. */
  maxLen: number;
  /** Append the stdin instruction to every question, as the reference did (default: stdio problems only). */
  instructionAlways: boolean;
  /** Target-DPO: count only the rejected tokens on D− lines (needs `rejected_diff_lines`). */
  focal: boolean;
  family: string;
}

/** The columns of a pair row the trainer reads. */
export interface PairRow {
  kind: string;
  question: string;
  test_kind: string;
  starter_code: string;
  prefix: string;
  suffix: string;
  chosen_middle: string;
  rejected_middle: string;
  rejected_diff_lines?: number[] | null;
}

/** One side of a pair, tokenized: context then response; `mask` is 1 on the tokens that count. */
export interface Side {
  ids: number[];
  mask: number[];
}

export interface Example {
  format: 'fim' | 'chat';
  chosen: Side;
  rejected: Side;
}

/**
 * One seeded Bernoulli draw per pair, in stream order, decides FIM or chat. The draw is made
 * for every pair, also those that are dropped or skipped on resume, so the formats never shift.
 */
export class FormatDraws {
  private readonly rand: () => number;
  constructor(
    private readonly fimRate: number,
    seed: number,
  ) {
    this.rand = prng(seed);
  }
  next(kind: string): 'fim' | 'chat' {
    const u = this.rand();
    return kind === 'full' ? 'chat' : u < this.fimRate ? 'fim' : 'chat';
  }
}

/** The context a pair is trained in, for one format: with the default options, the row's `fim_prompt` or
 *  `chat_prompt` (the pair stage builds them with the same functions), so `prompt + chosen` is the text. */
export function trainingContext(
  row: PairRow,
  format: 'fim' | 'chat',
  opts: Pick<TrainOptions, 'family' | 'instructionAlways'>,
): string {
  const family = promptFamily(opts.family);
  const always = opts.instructionAlways;
  return format === 'fim'
    ? fimContext(family, row, row.prefix, row.suffix, { always })
    : chatContext(family, row, row.prefix, always);
}

/**
 * Builds both sides of a pair (docs/training.md, Training): FIM context
 * `<|fim_prefix|>{convertQuestion(q)}\n\n{prefix}<|fim_suffix|>{suffix}<|fim_middle|>` with response =
 * middle + end token; chat context = chat template + "```python\n" + prefix with response = middle. Context
 * and response are tokenized separately and concatenated; only response tokens count, and for Target-DPO
 * only the rejected tokens on D− lines.
 */
export function buildExample(
  row: PairRow,
  format: 'fim' | 'chat',
  tok: Tokenizer,
  opts: TrainOptions,
): Example | undefined {
  const family = promptFamily(opts.family);
  const context = trainingContext(row, format, opts);
  const end = format === 'fim' ? (family.stop[0] ?? '') : '';
  const ctx = tok.encode(context, { add_special_tokens: false }).ids;
  const side = (middle: string, focalLines?: number[]): Side => {
    const { ids, spans } = tokenSpans(tok, middle);
    const respMask = focalLines ? maskOverlapping(spans, lineRanges(middle, focalLines)) : ids.map(() => 1);
    const endIds = end ? tok.encode(end, { add_special_tokens: false }).ids : [];
    return {
      ids: [...ctx, ...ids, ...endIds],
      mask: [...ctx.map(() => 0), ...respMask, ...endIds.map(() => (focalLines ? 0 : 1))],
    };
  };
  const focal = opts.focal && row.rejected_diff_lines ? Array.from(row.rejected_diff_lines) : undefined;
  const chosen = side(row.chosen_middle);
  const rejected = side(row.rejected_middle, focal);
  if (Math.max(chosen.ids.length, rejected.ids.length) > opts.maxLen) return undefined;
  return { format, chosen, rejected };
}
