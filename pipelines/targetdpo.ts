import { loadTokenizer } from '../lib/generators/onnx.ts';
import type { Generator } from '../lib/generators/types.ts';
import { definePipeline, type Step } from '../lib/pipeline.ts';
import * as S from '../lib/schemas.ts';
import { focal } from '../operators/focal.ts';
import { DEFAULT_ROUNDS, refine } from '../operators/refine.ts';
import { split } from '../operators/split.ts';
import { llamaFactoryInfo } from './exports.ts';
import * as O from './options.ts';
import { TARGETDPO_REPORT } from './report.ts';
import { cached, makeGenerator, params, sandbox } from './resources.ts';
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
  generatorNeeds,
  labelStep,
  sandboxNeeds,
} from './steps.ts';

/**
 * Target-DPO (docs/method.md, Pairs, curriculum and Target-DPO). Without a model (the mutation generator,
 * the default): every passing reference program is the chosen side; variants of it are run on the tests,
 * and a failing one is the rejected side. With a model: iterative refinement per problem; the final passing
 * version is chosen, an earlier failing one rejected. Pairs carry D+/D− line numbers and the rejected token
 * mask, in curriculum order (keyed by the lines of the chosen program).
 */
export const targetdpo = definePipeline({
  name: 'targetdpo',
  summary: 'whole-program pairs with line diffs and token masks (Target-DPO)',
  report: TARGETDPO_REPORT,
  sidecars: llamaFactoryInfo,
  options: {
    ...O.DECONTAMINATE_OPTIONS,
    ...O.FORMAT_OPTIONS,
    ...O.SANDBOX_OPTIONS,
    ...O.EXTRA_OPTIONS,
    ...O.GENERATION_OPTIONS,
    ...O.FOCAL_OPTIONS,
    ...O.CAP_OPTIONS,
    rounds: {
      type: 'int',
      default: DEFAULT_ROUNDS,
      help: 'with a model: versions per refinement chain at most',
    },
    tokenizer: {
      type: 'string',
      arg: 'DIR',
      help: "the tokenizer.json of the model to train: rejected token masks, token counts and the 2,048-token filter (without it rows carry the D− lines, which the trainer masks with the model's own tokenizer)",
    },
    ...O.CURRICULUM_OPTIONS,
    ...O.TRL_OPTIONS,
  },
  steps: (cfg, given: { generator?: Generator } = {}) => {
    const gen = given.generator ?? makeGenerator(cfg);
    const masks = {
      ...(cfg.tokenizer ? { tokenizer: loadTokenizer(cfg.tokenizer) } : {}),
      seed: cfg.seed,
      rejected: cfg['rejected-sides'],
    };
    // a model: one refinement chain per problem from the question (a passing reference solution only
    // vouches for the tests); no model: variants of every passing reference solution
    const programs: Step<S.FormattedSolution, S.Target> = {
      name: 'programs',
      output: S.Target,
      op: (ctx) => split(ctx, { blocks: false, fullForEvery: !gen.continues, name: 'programs' }),
    };
    // the two forms, each a fixed list, so that definePipeline checks both chains
    const versions:
      | [Step<S.PromptedTarget, S.CheckedCandidate>, Step<S.CheckedCandidate, S.FocalPair>]
      | [
          Step<S.PromptedTarget, S.Candidate>,
          Step<S.Candidate, S.CheckedCandidate>,
          Step<S.CheckedCandidate, S.FocalPair>,
        ] = gen.continues
      ? [
          {
            name: 'refine',
            output: S.CheckedCandidate,
            needs: async () => {
              sandboxNeeds();
              await generatorNeeds(gen)();
            },
            op: (ctx) =>
              refine(ctx, {
                generator: cached(ctx, cfg, gen),
                pool: sandbox(ctx, cfg),
                params: params(cfg),
                rounds: cfg.rounds,
              }),
          },
          { name: 'focal', output: S.FocalPair, op: (ctx) => focal(ctx, { ...masks, chosen: 'final' }) },
        ]
      : [
          generateStep(cfg, gen),
          checkStep(cfg),
          { name: 'focal', output: S.FocalPair, op: (ctx) => focal(ctx, masks) },
        ];
    return {
      steps: [
        ...decontaminateSteps(cfg),
        ...checkersSteps(cfg),
        expectStep(cfg),
        ...extraSteps(cfg),
        formatStep(cfg),
        labelStep(cfg),
        programs,
        fimStep(cfg, 'prompt'),
        ...versions,
        ...capSteps(cfg, S.FocalPair),
      ],
      final: curriculumStep(cfg, S.FocalPair),
    };
  },
});
