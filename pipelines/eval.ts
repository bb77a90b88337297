import type { RunContext } from '../lib/context.ts';
import { definePipeline } from '../lib/pipeline.ts';
import type { Generator } from '../lib/generators/types.ts';
import { DEFAULT_PARAMS } from '../lib/generators/types.ts';
import { UsageError } from '../lib/options.ts';
import * as S from '../lib/schemas.ts';
import { check } from '../operators/check.ts';
import { score } from '../operators/score.ts';
import { task } from '../operators/task.ts';
import { window } from '../operators/window.ts';
import * as O from './options.ts';
import { EVAL_REPORT } from './report.ts';
import { makeGenerator, sandbox } from './resources.ts';
import {
  checkersSteps,
  decontaminateSteps,
  expectStep,
  fimStep,
  generateStep,
  sandboxNeeds,
} from './steps.ts';

/**
 * Evaluation: every problem becomes a task for the model to solve whole (the chat prompt of the pairs, with the
 * interface its tests call), `--n` samples are drawn, each is run on the problem's tests in the sandbox, and one
 * row per problem keeps its samples, their verdicts and how many passed; `structflow eval` turns these into
 * pass@k. Units, resume, ranks, rejects, shards and the report are a run's, as for any pipeline.
 */
export const evaluation = definePipeline({
  name: 'eval',
  summary: "samples of a model on a benchmark's problems, run on their tests (pass@k with structflow eval)",
  report: EVAL_REPORT,
  options: {
    family: O.FORMAT_OPTIONS.family,
    ...O.GENERATION_OPTIONS,
    generator: {
      type: 'choice',
      choices: ['onnx', 'openai'] as const,
      arg: 'G',
      default: 'onnx',
      help: 'the model: onnx (a local folder, --model-dir) or openai (a server, --base-url and --model)',
    },
    n: { type: 'int', default: 1, help: 'samples per problem (pass@k needs k ≤ n)' },
    temperature: {
      type: 'number',
      min: 0,
      default: 0,
      help: 'sampling temperature (0: greedy, the usual pass@1; the papers sample pass@k at 0.8 with --n ≥ k)',
    },
    'max-tokens': { type: 'int', default: DEFAULT_PARAMS.max_tokens, help: 'new tokens per sample at most' },
    since: {
      type: 'string',
      arg: 'YYYY-MM-DD',
      help: "only problems released on or after this date (LiveCodeBench's window against contamination: after the model's training cutoff)",
    },
    before: { type: 'string', arg: 'YYYY-MM-DD', help: 'only problems released before this date' },
    ...O.SANDBOX_OPTIONS,
    ...O.DECONTAMINATE_OPTIONS,
  },
  steps: (cfg, given: { generator?: Generator } = {}) => {
    const gen = given.generator ?? makeGenerator(cfg);
    if (!gen.continues && !given.generator)
      throw new UsageError('eval samples a model: --generator onnx --model-dir DIR, or openai');
    const params = { n: cfg.n, seed: cfg.seed, temperature: cfg.temperature, max_tokens: cfg['max-tokens'] };
    return {
      steps: [
        ...decontaminateSteps(cfg),
        ...checkersSteps(cfg),
        expectStep(cfg),
        ...(cfg.since || cfg.before
          ? ([
              {
                name: 'window',
                output: S.Problem,
                op: (ctx: RunContext) =>
                  window(ctx, {
                    ...(cfg.since ? { since: cfg.since } : {}),
                    ...(cfg.before ? { before: cfg.before } : {}),
                  }),
              },
            ] as const)
          : ([] as const)),
        { name: 'task', output: S.Target, op: (ctx) => task(ctx) },
        fimStep({ ...cfg, 'line-length': O.FORMAT_OPTIONS['line-length'].default }),
        generateStep(cfg, gen, params),
        {
          name: 'check',
          output: S.CheckedCandidate,
          needs: sandboxNeeds,
          // no reference time to scale: every sample gets the flat --test-timeout
          op: (ctx) => check(ctx, { pool: sandbox(ctx, cfg), timeLimits: { factor: 0, floor_s: 0 } }),
        },
        { name: 'score', output: S.ProblemScore, op: (ctx) => score(ctx) },
      ],
    };
  },
});
