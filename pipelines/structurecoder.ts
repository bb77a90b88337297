import { pipe } from 'rxjs';
import type { Column } from '../lib/arrow.ts';
import type { RunContext } from '../lib/context.ts';
import { ExecPool, type PoolOptions } from '../lib/sandbox/pool.ts';
import type { PipelineOutput } from '../lib/runner.ts';
import { GenerationCache } from '../lib/generators/cache.ts';
import type { GenerationParams, Generator } from '../lib/generators/types.ts';
import type {
  Candidate,
  CheckedCandidate,
  FormattedSolution,
  LabeledSolution,
  Pair,
  Problem,
  PromptedTarget,
  Target,
} from '../lib/schemas.ts';
import { check, type TimeLimits } from '../operators/check.ts';
import { curriculum, curriculumOptions, type OrderedPair } from '../operators/curriculum.ts';
import { pair } from '../operators/pair.ts';
import { generate } from '../operators/generate.ts';
import { fim } from '../operators/fim.ts';
import { format } from '../operators/format.ts';
import { label } from '../operators/label.ts';
import { solutions } from '../operators/solutions.ts';
import { split } from '../operators/split.ts';

/**
 * StructureCoder (SPEC §2): format → label → split → FIM prompts → generate → check → pair → curriculum.
 * Each stage can be the last one (`--until`).
 */
export interface StructureCoderConfig {
  /** Black line length. Default 88. */
  lineLength?: number;
  /** Reference quirk: `def`s with `_` in the name are not targets. Default true (faithful). */
  skipUnderscoreDefs?: boolean;
  /** Solutions with more words give no block targets. Default 2048. */
  maxWords?: number;
  /** Prompt token set: qwen (default), starcoder, deepseek, codellama. */
  family?: string;
  /** The test-execution sandbox: workers, interpreter, limits. */
  exec?: PoolOptions;
  /** A candidate's time limit per test from its reference's CPU time (default DEFAULT_TIME_LIMITS). */
  timeLimits?: TimeLimits;
  /** Where candidates come from (default: the model-free mutation generator). */
  generator: Generator;
  /** Sampling parameters (SPEC §2.5 defaults). */
  params?: Partial<GenerationParams>;
  /** Folder of the generation cache; none when undefined. */
  cacheDir?: string;
  /** `paper` (every wrong candidate paired, default) or `reference` (one pair per target). */
  pairMode?: 'paper' | 'reference';
  /** Copies of each curriculum bucket (default 3). */
  epochs?: number;
  /** Seed of the curriculum shuffle (default 0). */
  seed?: number;
  /** Folder for the curriculum's sorted runs (default the OS temp folder). */
  tmpDir?: string;
  /** Pairs the curriculum sorts in memory before spilling a run (default 20,000). */
  sortRunSize?: number;
}

export const STAGES = ['format', 'label', 'split', 'fim', 'generate', 'check', 'pair', 'curriculum'] as const;
export type StructureCoderStage = (typeof STAGES)[number];

const SOLUTION_COLUMNS: Column<FormattedSolution>[] = [
  { name: 'problem_id', type: 'string' },
  { name: 'solution_index', type: 'int32' },
  { name: 'code', type: 'string' },
];

const LABELED_COLUMNS: Column<LabeledSolution>[] = [
  ...(SOLUTION_COLUMNS as Column<LabeledSolution>[]),
  { name: 'verdict', type: 'string' },
  { name: 'test_results', type: 'json' },
];

const TARGET_COLUMNS: Column<Target>[] = [
  { name: 'problem_id', type: 'string' },
  { name: 'solution_index', type: 'int32' },
  { name: 'target_id', type: 'string' },
  { name: 'kind', type: 'string' },
  { name: 'block_type', type: 'string' },
  { name: 'depth', type: 'int32' },
  { name: 'start_line', type: 'int32' },
  { name: 'end_line', type: 'int32' },
  { name: 'prefix', type: 'string' },
  { name: 'middle', type: 'string' },
  { name: 'suffix', type: 'string' },
];

const PROMPTED_COLUMNS: Column<PromptedTarget>[] = [
  ...(TARGET_COLUMNS as Column<PromptedTarget>[]),
  { name: 'question', type: 'string' },
  { name: 'starter_code', type: 'string' },
  { name: 'fim_prompt', type: 'string' },
  { name: 'chat_prompt', type: 'string' },
  { name: 'gen_start', type: 'string' },
  { name: 'prompt_family', type: 'string' },
];

const CANDIDATE_COLUMNS: Column<Candidate>[] = [
  ...(PROMPTED_COLUMNS as Column<Candidate>[]),
  { name: 'candidate_index', type: 'int32' },
  { name: 'candidate', type: 'string' },
  { name: 'generator', type: 'string' },
  { name: 'origin', type: 'string' },
];

const CHECKED_COLUMNS: Column<CheckedCandidate>[] = [
  ...(CANDIDATE_COLUMNS as Column<CheckedCandidate>[]),
  { name: 'verdict', type: 'string' },
  { name: 'error', type: 'string' },
];

export const PAIR_COLUMNS: Column<Pair>[] = [
  { name: 'problem_id', type: 'string' },
  { name: 'problem_index', type: 'int32' },
  { name: 'solution_index', type: 'int32' },
  { name: 'target_id', type: 'string' },
  { name: 'kind', type: 'string' },
  { name: 'block_type', type: 'string' },
  { name: 'depth', type: 'int32' },
  { name: 'start_line', type: 'int32' },
  { name: 'end_line', type: 'int32' },
  { name: 'curriculum_key', type: 'int32' },
  { name: 'question', type: 'string' },
  { name: 'test_kind', type: 'string' },
  { name: 'starter_code', type: 'string' },
  { name: 'prefix', type: 'string' },
  { name: 'suffix', type: 'string' },
  { name: 'chosen_middle', type: 'string' },
  { name: 'rejected_middle', type: 'string' },
  { name: 'chosen_index', type: 'int32' },
  { name: 'rejected_index', type: 'int32' },
  { name: 'chosen_origin', type: 'string' },
  { name: 'rejected_origin', type: 'string' },
  { name: 'edit_distance', type: 'int32' },
  { name: 'fim_prompt', type: 'string' },
  { name: 'chat_prompt', type: 'string' },
  { name: 'prompt', type: 'string' },
  { name: 'chosen', type: 'string' },
  { name: 'rejected', type: 'string' },
];

export const ORDERED_COLUMNS: Column<OrderedPair>[] = [
  ...(PAIR_COLUMNS as Column<OrderedPair>[]),
  { name: 'curriculum_epoch', type: 'int32' },
];

/** The curriculum key range of a shard, for its manifest entry. */
export const keyRange = (rows: { curriculum_key: number }[]) => ({
  curriculum_key_min: Math.min(...rows.map((r) => r.curriculum_key)),
  curriculum_key_max: Math.max(...rows.map((r) => r.curriculum_key)),
});

export function structurecoder(
  ctx: RunContext,
  cfg: StructureCoderConfig,
  until: StructureCoderStage = 'curriculum',
):
  | PipelineOutput<Problem, FormattedSolution>
  | PipelineOutput<Problem, LabeledSolution>
  | PipelineOutput<Problem, Target>
  | PipelineOutput<Problem, PromptedTarget>
  | PipelineOutput<Problem, Candidate>
  | PipelineOutput<Problem, CheckedCandidate>
  | PipelineOutput<Problem, Pair>
  | PipelineOutput<Problem, OrderedPair, Pair> {
  const formatted = pipe(solutions(ctx), format(ctx, cfg));
  if (until === 'format') return { op: formatted, columns: SOLUTION_COLUMNS };
  const pool = new ExecPool(cfg.exec);
  ctx.onClose(() => pool.close());
  ctx.onClose(() => ctx.stat('label', 'verdict_cache_hits', pool.stats.cache_hits));
  const labeled = pipe(formatted, label(ctx, { pool }));
  if (until === 'label') return { op: labeled, columns: LABELED_COLUMNS };
  const targets = pipe(labeled, split(ctx, cfg));
  if (until === 'split') return { op: targets, columns: TARGET_COLUMNS };
  const prompted = pipe(targets, fim(ctx, cfg));
  if (until === 'fim') return { op: prompted, columns: PROMPTED_COLUMNS };
  const cache = cfg.cacheDir ? new GenerationCache(cfg.cacheDir) : undefined;
  if (cache) {
    ctx.onClose(() => {
      ctx.stat('generate', 'cache_hits', cache.hits);
      ctx.stat('generate', 'cache_misses', cache.misses);
    });
  }
  const generator = cache ? cache.wrap(cfg.generator) : cfg.generator;
  const candidates = pipe(
    prompted,
    generate(ctx, { generator, ...(cfg.params ? { params: cfg.params } : {}) }),
  );
  if (until === 'generate') return { op: candidates, columns: CANDIDATE_COLUMNS };
  const checked = pipe(
    candidates,
    check(ctx, { pool, ...(cfg.timeLimits ? { timeLimits: cfg.timeLimits } : {}) }),
  );
  if (until === 'check') return { op: checked, columns: CHECKED_COLUMNS };
  const pairs = pipe(
    checked,
    pair(ctx, {
      mode: cfg.pairMode ?? 'paper',
      chosen: cfg.generator.editsGolden ? 'golden' : 'nearest',
      ...(cfg.family ? { family: cfg.family } : {}),
    }),
  );
  if (until === 'pair') return { op: pairs, columns: PAIR_COLUMNS };
  return {
    op: pairs,
    post: (c: RunContext, records: AsyncIterable<Pair>) => curriculum(c, records, curriculumOptions(cfg)),
    columns: ORDERED_COLUMNS,
    describe: keyRange,
  };
}
