import { definePipeline } from '../lib/pipeline.ts';
import type { Generator } from '../lib/generators/types.ts';
import * as S from '../lib/schemas.ts';
import { pair } from '../operators/pair.ts';
import { split } from '../operators/split.ts';
import { llamaFactoryInfo } from './exports.ts';
import * as O from './options.ts';
import { STRUCTURECODER_REPORT } from './report.ts';
import { makeGenerator } from './resources.ts';
import {
  capSteps,
  checkStep,
  checkersSteps,
  curriculumStep,
  decontaminateSteps,
  expectStep,
  extraSteps,
  fimStep,
  formatStep,
  generateStep,
  labelStep,
} from './steps.ts';

/**
 * StructureCoder: format → label → split → FIM prompts → generate → check → pair → curriculum, each stage
 * as docs/method.md describes it.
 */
export const structurecoder = definePipeline({
  name: 'structurecoder',
  summary: 'block-level FIM preference pairs in curriculum order (StructureCoder)',
  report: STRUCTURECODER_REPORT,
  sidecars: llamaFactoryInfo,
  options: {
    ...O.DECONTAMINATE_OPTIONS,
    ...O.FORMAT_OPTIONS,
    ...O.SPLIT_OPTIONS,
    ...O.SANDBOX_OPTIONS,
    ...O.EXTRA_OPTIONS,
    ...O.GENERATION_OPTIONS,
    ...O.PAIR_OPTIONS,
    ...O.CAP_OPTIONS,
    ...O.CURRICULUM_OPTIONS,
    ...O.TRL_OPTIONS,
  },
  steps: (cfg, given: { generator?: Generator } = {}) => {
    const gen = given.generator ?? makeGenerator(cfg);
    const blocks = { maxWords: cfg['max-words'], skipUnderscoreDefs: !cfg['keep-underscore-defs'] };
    // model-free candidates edit the golden middle: it is their chosen side, so the sides differ by one edit
    const chosen = gen.editsGolden ? 'golden' : 'nearest';
    return {
      steps: [
        ...decontaminateSteps(cfg),
        ...checkersSteps(cfg),
        expectStep(cfg),
        ...extraSteps(cfg),
        formatStep(cfg),
        labelStep(cfg),
        { name: 'split', output: S.Target, op: (ctx) => split(ctx, blocks) },
        fimStep(cfg),
        generateStep(cfg, gen),
        checkStep(cfg),
        {
          name: 'pair',
          output: S.Pair,
          op: (ctx) =>
            pair(ctx, {
              mode: cfg['pair-mode'],
              chosen,
              family: cfg.family,
              rejected: cfg['rejected-sides'],
              curriculumKey: cfg['curriculum-key'],
            }),
        },
        ...capSteps(cfg, S.Pair),
      ],
      final: curriculumStep(cfg, S.Pair),
    };
  },
});
