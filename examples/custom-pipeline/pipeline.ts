import { definePipeline } from 'structflow';
import {
  Pair,
  Problem,
  Target,
  checkStep,
  curriculumStep,
  fimStep,
  formatStep,
  generateStep,
  labelStep,
  makeGenerator,
  options as O,
  pair,
  split,
} from 'structflow/code-dpo';
import './kata-reader.ts';
import { maxLevel } from './max-level.ts';

/**
 * StructureCoder's block-level pairs for katas up to a level: our reader and our stage, then the built-in
 * format, label, split, fim, generate, check and pair steps, and the curriculum. `structflow run ./pipeline.ts`
 * runs it with every feature of a run: units that resume, ranks, rejects, shards, manifest, report.
 */
export default definePipeline({
  name: 'kata-blocks',
  summary: 'block-level FIM pairs of katas up to a level',
  options: {
    'max-level': { type: 'int', default: 3, help: 'keep katas up to this level (1 easy … 5 hard)' },
    ...O.FORMAT_OPTIONS,
    ...O.SANDBOX_OPTIONS,
    ...O.GENERATION_OPTIONS,
    ...O.CURRICULUM_OPTIONS,
    ...O.TRL_OPTIONS,
  },
  steps: (cfg) => ({
    steps: [
      { name: 'max-level', output: Problem, op: (ctx) => maxLevel(ctx, { max: cfg['max-level'] }) },
      formatStep(cfg),
      labelStep(cfg),
      { name: 'split', output: Target, op: (ctx) => split(ctx) },
      fimStep(cfg),
      generateStep(cfg, makeGenerator(cfg)),
      checkStep(cfg),
      // model-free candidates are edits of the golden middle: it is their chosen side
      { name: 'pair', output: Pair, op: (ctx) => pair(ctx, { chosen: 'golden', family: cfg.family }) },
    ],
    final: curriculumStep(cfg, Pair),
  }),
});
