import { pipe } from 'rxjs';
import type { Column } from '../lib/arrow.ts';
import type { RunContext } from '../lib/context.ts';
import { ExecPool, type PoolOptions } from '../lib/sandbox/pool.ts';
import { GenerationCache } from '../lib/generators/cache.ts';
import { loadTokenizer } from '../lib/generators/onnx.ts';
import type { GenerationParams, Generator } from '../lib/generators/types.ts';
import type { PipelineOutput } from '../lib/runner.ts';
import type { FocalPair, Problem } from '../lib/schemas.ts';
import { check, type TimeLimits } from '../operators/check.ts';
import { curriculum, curriculumOptions } from '../operators/curriculum.ts';
import { fim } from '../operators/fim.ts';
import { focal } from '../operators/focal.ts';
import { format } from '../operators/format.ts';
import { generate } from '../operators/generate.ts';
import { label } from '../operators/label.ts';
import { refine } from '../operators/refine.ts';
import { solutions } from '../operators/solutions.ts';
import { split } from '../operators/split.ts';
import { keyRange, PAIR_COLUMNS } from './structurecoder.ts';

/**
 * Target-DPO (SPEC §3). Without a model (the mutation generator, the default): every passing reference
 * program is the chosen side; variants of it are run on the tests, and a failing one is the rejected side.
 * With a model (`--generator openai|onnx`): iterative refinement per problem; the final passing version is
 * chosen, an earlier failing one rejected. Output: pairs with D+/D− line numbers and the rejected token mask,
 * in curriculum order (SPEC §2.8's buckets, keyed by the lines of the chosen program, as the trainer
 * consumes the shards in manifest order).
 */
export interface TargetDpoConfig {
  lineLength?: number;
  exec?: PoolOptions;
  /** A candidate's time limit per test from its reference's CPU time (default DEFAULT_TIME_LIMITS). */
  timeLimits?: TimeLimits;
  generator: Generator;
  params?: Partial<GenerationParams>;
  cacheDir?: string;
  /** Folder with the `tokenizer.json` of the model to be trained (masks and the token-length filter). */
  tokenizerDir: string;
  /** Versions per refinement chain at most, with a model generator (default 5, SPEC §3). */
  rounds?: number;
  /** Seed of the choice of the rejected version and of the curriculum shuffle. */
  seed?: number;
  family?: string;
  /** Copies of each curriculum bucket (default 3). */
  epochs?: number;
  /** Folder for the curriculum's sorted runs (default the OS temp folder). */
  tmpDir?: string;
  /** Pairs the curriculum sorts in memory before spilling a run (default 20,000). */
  sortRunSize?: number;
}

export const TARGETDPO_COLUMNS: Column<FocalPair>[] = [
  ...(PAIR_COLUMNS as Column<FocalPair>[]),
  { name: 'chosen_code', type: 'string' },
  { name: 'rejected_code', type: 'string' },
  { name: 'chosen_diff_lines', type: 'int32_list' },
  { name: 'rejected_diff_lines', type: 'int32_list' },
  { name: 'rejected_mask', type: 'int32_list' },
  { name: 'chosen_tokens', type: 'int32' },
  { name: 'rejected_tokens', type: 'int32' },
];

export const TARGETDPO_ORDERED_COLUMNS: Column<OrderedFocalPair>[] = [
  ...(TARGETDPO_COLUMNS as Column<OrderedFocalPair>[]),
  { name: 'curriculum_epoch', type: 'int32' },
];
type OrderedFocalPair = FocalPair & { curriculum_epoch: number };

export function targetdpo(
  ctx: RunContext,
  cfg: TargetDpoConfig,
): PipelineOutput<Problem, OrderedFocalPair, FocalPair> {
  const pool = new ExecPool(cfg.exec);
  ctx.onClose(() => pool.close());
  const cache = cfg.cacheDir ? new GenerationCache(cfg.cacheDir) : undefined;
  const generator = cache ? cache.wrap(cfg.generator) : cfg.generator;
  const params = cfg.params ? { params: cfg.params } : {};
  const focalOpts = { tokenizer: loadTokenizer(cfg.tokenizerDir), seed: cfg.seed ?? 0 };
  const finish = {
    post: (c: RunContext, records: AsyncIterable<FocalPair>) =>
      curriculum(c, records, curriculumOptions(cfg)),
    columns: TARGETDPO_ORDERED_COLUMNS,
    describe: keyRange,
  };
  const programs = pipe(solutions(ctx), format(ctx, cfg), label(ctx, { pool }));
  if (generator.continues) {
    // a model: one refinement chain per problem, from the question (its first passing reference
    // solution only vouches for the tests)
    const op = pipe(
      programs,
      split(ctx, { blocks: false }),
      fim(ctx, cfg),
      refine(ctx, { generator, pool, ...params, ...(cfg.rounds ? { rounds: cfg.rounds } : {}) }),
      focal(ctx, { ...focalOpts, chosen: 'final' }),
    );
    return { op, ...finish };
  }
  const op = pipe(
    programs,
    split(ctx, { blocks: false, fullForEvery: true }),
    fim(ctx, cfg),
    generate(ctx, { generator, ...params }),
    check(ctx, { pool, ...(cfg.timeLimits ? { timeLimits: cfg.timeLimits } : {}) }),
    focal(ctx, focalOpts),
  );
  return { op, ...finish };
}
