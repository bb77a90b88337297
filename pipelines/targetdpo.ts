import { pipe } from 'rxjs';
import { join } from 'node:path';
import { ROOT } from '../lib/root.ts';
import { loadTokenizer } from '../lib/generators/onnx.ts';
import { definePipeline, type Step } from '../lib/pipeline.ts';
import * as S from '../lib/schemas.ts';
import { check } from '../operators/check.ts';
import { curriculum, keyRange, ordered } from '../operators/curriculum.ts';
import { fim } from '../operators/fim.ts';
import { focal } from '../operators/focal.ts';
import { format } from '../operators/format.ts';
import { generate } from '../operators/generate.ts';
import { label } from '../operators/label.ts';
import { DEFAULT_ROUNDS, refine } from '../operators/refine.ts';
import { solutions } from '../operators/solutions.ts';
import { split } from '../operators/split.ts';
import type { Generator } from '../lib/generators/types.ts';
import * as O from './options.ts';
import { TARGETDPO_REPORT } from './report.ts';
import { cached, makeGenerator, params, sandbox } from './resources.ts';

const TINY_MODEL = join(ROOT, 'fixtures', 'tiny-model');

/**
 * Target-DPO (SPEC §3). Without a model (the mutation generator, the default): every passing reference
 * program is the chosen side; variants of it are run on the tests, and a failing one is the rejected side.
 * With a model: iterative refinement per problem; the final passing version is chosen, an earlier failing
 * one rejected. Pairs carry D+/D− line numbers and the rejected token mask, in curriculum order (keyed
 * by the lines of the chosen program).
 */
export const targetdpo = definePipeline({
  name: 'targetdpo',
  summary: 'whole-program pairs with line diffs and token masks (Target-DPO)',
  report: TARGETDPO_REPORT,
  options: {
    ...O.FORMAT_OPTIONS,
    ...O.SANDBOX_OPTIONS,
    ...O.GENERATION_OPTIONS,
    rounds: {
      type: 'int',
      default: DEFAULT_ROUNDS,
      help: 'with a model: versions per refinement chain at most',
    },
    tokenizer: {
      type: 'string',
      arg: 'DIR',
      default: TINY_MODEL,
      help: "folder with the trained model's tokenizer.json",
    },
    ...O.CURRICULUM_OPTIONS,
  },
  steps: (cfg, given: { generator?: Generator } = {}) => {
    const gen = given.generator ?? makeGenerator(cfg);
    const focalOpts = { tokenizer: loadTokenizer(cfg.tokenizer), seed: cfg.seed };
    const programs: Step[] = [
      {
        name: 'format',
        output: S.FormattedSolution,
        op: (ctx) => pipe(solutions(ctx), format(ctx, { lineLength: cfg['line-length'] })),
      },
      { name: 'label', output: S.LabeledSolution, op: (ctx) => label(ctx, { pool: sandbox(ctx, cfg) }) },
    ];
    // a model: one refinement chain per problem, from the question (its first passing reference solution
    // only vouches for the tests); no model: variants of every passing reference solution
    const split_ = {
      name: 'split',
      output: S.Target,
      op: (ctx) => split(ctx, { blocks: false, fullForEvery: !gen.continues }),
    } satisfies Step;
    const fim_ = {
      name: 'fim',
      output: S.PromptedTarget,
      op: (ctx) => fim(ctx, { family: cfg.family }),
    } satisfies Step;
    const candidates: Step[] = gen.continues
      ? [
          {
            name: 'refine',
            output: S.CheckedCandidate,
            op: (ctx) =>
              refine(ctx, {
                generator: cached(ctx, cfg, gen),
                pool: sandbox(ctx, cfg),
                params: params(cfg),
                rounds: cfg.rounds,
              }),
          },
          { name: 'focal', output: S.FocalPair, op: (ctx) => focal(ctx, { ...focalOpts, chosen: 'final' }) },
        ]
      : [
          {
            name: 'generate',
            output: S.Candidate,
            op: (ctx) => generate(ctx, { generator: cached(ctx, cfg, gen), params: params(cfg) }),
          },
          {
            name: 'check',
            output: S.CheckedCandidate,
            op: (ctx) =>
              check(ctx, {
                pool: sandbox(ctx, cfg),
                timeLimits: { factor: cfg['ref-time-factor'], floor_s: cfg['min-test-time'] },
              }),
          },
          { name: 'focal', output: S.FocalPair, op: (ctx) => focal(ctx, focalOpts) },
        ];
    return {
      steps: [...programs, split_, fim_, ...candidates],
      final: {
        name: 'curriculum',
        output: ordered(S.FocalPair),
        run: (ctx, pairs) =>
          curriculum(ctx, pairs, { epochs: cfg.epochs, seed: cfg.seed, runSize: cfg['sort-run-size'] }),
        describe: keyRange,
      },
    };
  },
});
