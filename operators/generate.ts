import type { OperatorFunction } from 'rxjs';
import type { RunContext } from '../lib/context.ts';
import { cutAtStop, fullProgram, keepOneBlock } from '../lib/generators/postprocess.ts';
import { DEFAULT_PARAMS, type GenerationParams, type Generator } from '../lib/generators/types.ts';
import { Candidate, PromptedTarget } from '../lib/schemas.ts';
import { Rejected, stage } from '../lib/stage.ts';

/** Options of `generate`. */
export interface GenerateOptions {
  generator: Generator;
  /** Sampling parameters; defaults `DEFAULT_PARAMS` (n 5, temperature 0.7, top_p 0.95, 512 tokens). */
  params?: Partial<GenerationParams>;
  /** Targets generated at once (requests in flight to the generator). Default 4. */
  concurrency?: number;
}

/**
 * Turns each target into candidates. For model backends the candidate is the start string
 * plus the model's text, cut at a stop string and post-processed: FIM keeps one block; full (chat)
 * candidates end at the first closing code fence. A target with no candidate is rejected.
 *
 * @example
 * pipe(fim(ctx), generate(ctx, { generator: new MutationGenerator() }), check(ctx, { pool }))
 */
export function generate(
  ctx: RunContext,
  opts: GenerateOptions,
): OperatorFunction<PromptedTarget, Candidate> {
  const params = { ...DEFAULT_PARAMS, ...opts.params };
  const gen = opts.generator;
  return stage(
    ctx,
    {
      name: 'generate',
      input: PromptedTarget,
      output: Candidate,
      id: (t) => t.target_id,
      concurrency: opts.concurrency ?? 4,
    },
    (stats) => async (t) => {
      const full = t.kind === 'full';
      const prompt = full ? t.chat_prompt : t.fim_prompt;
      const outs = await gen.generate({
        prompt,
        start: t.gen_start,
        params: { ...params, stop: [...params.stop] },
        target: t,
      });
      const candidates = outs.map((g) => {
        if (!gen.continues) return g;
        const text = full
          ? fullProgram(g.text, params.stop)
          : keepOneBlock(t.gen_start + cutAtStop(g.text, params.stop), t.block_type);
        return { ...g, text };
      });
      if (candidates.length === 0) throw new Rejected('no_candidates', `${gen.name} produced no candidate`);
      stats.stat('candidates', candidates.length);
      if (outs[0]?.cached !== undefined) stats.stat(outs[0].cached ? 'cache_hits' : 'cache_misses');
      return candidates.map((g, candidate_index) => ({
        ...t,
        candidate_index,
        candidate: g.text,
        generator: gen.name,
        origin: g.origin,
      }));
    },
  );
}
