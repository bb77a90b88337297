import { pipe } from 'rxjs';
import { definePipeline } from '../lib/pipeline.ts';
import * as S from '../lib/schemas.ts';
import { check } from '../operators/check.ts';
import { curriculum, keyRange, ordered } from '../operators/curriculum.ts';
import { fim } from '../operators/fim.ts';
import { format } from '../operators/format.ts';
import { generate } from '../operators/generate.ts';
import { label } from '../operators/label.ts';
import { pair } from '../operators/pair.ts';
import { solutions } from '../operators/solutions.ts';
import { split } from '../operators/split.ts';
import type { Generator } from '../lib/generators/types.ts';
import * as O from './options.ts';
import { STRUCTURECODER_REPORT } from './report.ts';
import { cached, makeGenerator, params, sandbox } from './resources.ts';

/** StructureCoder (SPEC §2): format → label → split → FIM prompts → generate → check → pair → curriculum. */
export const structurecoder = definePipeline({
  name: 'structurecoder',
  summary: 'block-level FIM preference pairs in curriculum order (StructureCoder)',
  report: STRUCTURECODER_REPORT,
  options: {
    ...O.FORMAT_OPTIONS,
    ...O.SPLIT_OPTIONS,
    ...O.SANDBOX_OPTIONS,
    ...O.GENERATION_OPTIONS,
    ...O.PAIR_OPTIONS,
    ...O.CURRICULUM_OPTIONS,
  },
  steps: (cfg, given: { generator?: Generator } = {}) => {
    const gen = given.generator ?? makeGenerator(cfg);
    const timeLimits = { factor: cfg['ref-time-factor'], floor_s: cfg['min-test-time'] };
    const splitOpts = { maxWords: cfg['max-words'], skipUnderscoreDefs: !cfg['keep-underscore-defs'] };
    const pairOpts = {
      mode: cfg['pair-mode'],
      chosen: gen.editsGolden ? 'golden' : 'nearest',
      family: cfg.family,
    } as const;
    return {
      steps: [
        {
          name: 'format',
          output: S.FormattedSolution,
          op: (ctx) => pipe(solutions(ctx), format(ctx, { lineLength: cfg['line-length'] })),
        },
        { name: 'label', output: S.LabeledSolution, op: (ctx) => label(ctx, { pool: sandbox(ctx, cfg) }) },
        { name: 'split', output: S.Target, op: (ctx) => split(ctx, splitOpts) },
        { name: 'fim', output: S.PromptedTarget, op: (ctx) => fim(ctx, { family: cfg.family }) },
        {
          name: 'generate',
          output: S.Candidate,
          op: (ctx) => generate(ctx, { generator: cached(ctx, cfg, gen), params: params(cfg) }),
        },
        {
          name: 'check',
          output: S.CheckedCandidate,
          op: (ctx) => check(ctx, { pool: sandbox(ctx, cfg), timeLimits }),
        },
        { name: 'pair', output: S.Pair, op: (ctx) => pair(ctx, pairOpts) },
      ],
      final: {
        name: 'curriculum',
        output: ordered(S.Pair),
        run: (ctx, pairs) =>
          curriculum(ctx, pairs, { epochs: cfg.epochs, seed: cfg.seed, runSize: cfg['sort-run-size'] }),
        describe: keyRange,
      },
    };
  },
});
