import { pipe } from 'rxjs';
import type { GenerationParams, Generator } from '../lib/generators/types.ts';
import { UsageError, type OptionTable, type OptionValues } from '../lib/options.ts';
import type { FinalStep, Step } from '../lib/pipeline.ts';
import * as S from '../lib/schemas.ts';
import type { z } from 'zod';
import { cap, type Cappable } from '../operators/cap.ts';
import { check } from '../operators/check.ts';
import { checkers } from '../operators/checkers.ts';
import { curriculum, keyRange, ordered } from '../operators/curriculum.ts';
import { decontaminate } from '../operators/decontaminate.ts';
import { expectOutputs } from '../operators/expect.ts';
import { extraTests } from '../operators/extra.ts';
import { trl, trlSchema } from '../operators/trl.ts';
import { requireBwrap, resolveSandboxPython, sandboxSite } from '../lib/sandbox/bwrap.ts';
import { loadTokenizer } from '../lib/generators/onnx.ts';
import { trainOptions } from '../lib/train/trainer.ts';
import { cpus } from 'node:os';
import { RunContext } from '../lib/context.ts';
import { readProblems } from '../readers/index.ts';
import { fim } from '../operators/fim.ts';
import { format } from '../operators/format.ts';
import { generate } from '../operators/generate.ts';
import { label } from '../operators/label.ts';
import { solutions } from '../operators/solutions.ts';
import * as O from './options.ts';
import { cached, params, sandbox } from './resources.ts';

// The steps both pipelines take, each from the options of its group (pipelines/options.ts).

type Cfg<T extends OptionTable> = OptionValues<T>;

/** The `format` step: one record per reference solution, Black-style formatted (`--line-length`). */
export const formatStep = (cfg: Cfg<typeof O.FORMAT_OPTIONS>): Step<S.Problem, S.FormattedSolution> => ({
  name: 'format',
  output: S.FormattedSolution,
  op: (ctx) => pipe(solutions(ctx), format(ctx, { lineLength: cfg['line-length'] })),
});

/** What a step that runs programs needs: bubblewrap that can make namespaces, a Python and the programs' packages. */
export const sandboxNeeds = () => {
  requireBwrap();
  resolveSandboxPython();
  sandboxSite();
};

/**
 * The `expect` step: expected outputs for the call tests a reference answers (evalplus's layout), run in the
 * sandbox once per problem; other problems pass through, and a run of them never starts the sandbox. A
 * reference runs every input once (HumanEval+ has up to 1,000 a problem), so its whole run may take 300 CPU s.
 */
export const expectStep = (
  cfg: Cfg<typeof O.SANDBOX_OPTIONS & typeof O.GENERATION_OPTIONS>,
): Step<S.Problem, S.Problem> => ({
  name: 'expect',
  output: S.Problem,
  op: (ctx) =>
    expectOutputs(ctx, {
      pool: () => sandbox(ctx, cfg),
      concurrency: cfg.workers || cpus().length,
      limits: { program_cpu_s: 300, program_wall_s: 900 },
    }),
});

/** With `--extra-tests N`, the step that adds up to N tests to each problem whose tests call a function, by
 *  mutating its inputs and keeping the ones every passing reference agrees on; without, none. */
export const extraSteps = (
  cfg: Cfg<typeof O.EXTRA_OPTIONS & typeof O.SANDBOX_OPTIONS & typeof O.GENERATION_OPTIONS>,
): [] | [Step<S.Problem, S.Problem>] => {
  const count = cfg['extra-tests'];
  if (!count) return [];
  return [
    {
      name: 'extra',
      output: S.Problem,
      needs: sandboxNeeds,
      op: (ctx) =>
        extraTests(ctx, {
          pool: () => sandbox(ctx, cfg),
          concurrency: cfg.workers || cpus().length,
          count,
          seed: cfg.seed,
        }),
    },
  ];
};

/** The `label` step: reference solutions run on their tests in the run's sandbox; only passing ones go on. */
export const labelStep = (
  cfg: Cfg<typeof O.SANDBOX_OPTIONS & typeof O.GENERATION_OPTIONS>,
): Step<S.FormattedSolution, S.LabeledSolution> => ({
  name: 'label',
  needs: sandboxNeeds,
  output: S.LabeledSolution,
  op: (ctx) => label(ctx, { pool: sandbox(ctx, cfg) }),
});

/** The `fim` step: each target's generation and training prompts in the `--family` token set. */
export const fimStep = (
  cfg: Cfg<typeof O.FORMAT_OPTIONS>,
  name = 'fim',
): Step<S.Target, S.PromptedTarget> => ({
  name,
  output: S.PromptedTarget,
  op: (ctx) => fim(ctx, { family: cfg.family, name }),
});

/** What a step that asks the generator needs: a model that loads, a server that answers (`ready`). */
export const generatorNeeds = (gen: Generator) => async () => {
  await gen.ready?.();
};

/** The `generate` step: candidates per target from `gen` (`--n`, `--seed` unless `sampling` says), through the
 *  run's generation cache. */
export const generateStep = (
  cfg: Cfg<typeof O.GENERATION_OPTIONS>,
  gen: Generator,
  sampling: Partial<GenerationParams> = params(cfg),
): Step<S.PromptedTarget, S.Candidate> => ({
  name: 'generate',
  output: S.Candidate,
  needs: generatorNeeds(gen),
  op: (ctx) => generate(ctx, { generator: cached(ctx, cfg, gen), params: sampling }),
});

/** The `check` step: each candidate run on its tests, its time limit from its reference's time. */
export const checkStep = (
  cfg: Cfg<typeof O.SANDBOX_OPTIONS & typeof O.GENERATION_OPTIONS>,
): Step<S.Candidate, S.CheckedCandidate> => ({
  name: 'check',
  output: S.CheckedCandidate,
  needs: sandboxNeeds,
  op: (ctx) =>
    check(ctx, {
      pool: sandbox(ctx, cfg),
      timeLimits: { factor: cfg['ref-time-factor'], floor_s: cfg['min-test-time'] },
    }),
});

/** The curriculum order, then TRL's columns with `--trl`. */
export const curriculumStep = (
  cfg: Cfg<typeof O.CURRICULUM_OPTIONS & typeof O.TRL_OPTIONS & typeof O.FORMAT_OPTIONS> & {
    seed: number;
    tokenizer?: string;
  },
  pairs: z.ZodObject,
): FinalStep => {
  const run = (ctx: RunContext, records: AsyncIterable<unknown>) =>
    curriculum(ctx, records as AsyncIterable<S.Pair>, {
      epochs: cfg.epochs,
      seed: cfg['curriculum-seed'] ?? cfg.seed,
      runSize: cfg['sort-run-size'],
    });
  const mode = cfg.trl;
  if (!mode) return { name: 'curriculum', output: ordered(pairs), run, describe: keyRange };
  const tokenizerDir = cfg['trl-tokenizer'] ?? cfg.tokenizer;
  if (mode === 'pretokenized' && !tokenizerDir)
    throw new UsageError(
      '--trl pretokenized needs the tokenizer of the model to train: --trl-tokenizer DIR (a folder with tokenizer.json)',
    );
  const tokenizer = mode === 'pretokenized' ? loadTokenizer(tokenizerDir!) : undefined;
  const example = trainOptions({ family: cfg.family }); // the trainer's own examples, with its defaults
  return {
    name: 'curriculum',
    output: trlSchema(ordered(pairs), mode),
    run: (ctx, records) =>
      trl(ctx, run(ctx, records), { mode, ...(tokenizer ? { tokenizer } : {}), example }),
    describe: keyRange,
  };
};

/** Evaluation items of `--decontaminate` files; an unreadable row there is an error, not a quiet gap. */
async function* evalItems(files: string) {
  const ctx = new RunContext();
  for await (const p of readProblems(ctx, files))
    yield { id: p.problem_id, texts: [p.question, ...p.solutions] };
  const bad = ctx.counter('read').rejected;
  if (bad) throw new Error(`--decontaminate ${files}: ${bad} row(s) could not be read`);
}

// The optional steps are `[] | [step]`, not `Step[]`: a list of known forms, which definePipeline checks in each

/** With `--decontaminate FILES`, the first step; without, none. */
export const decontaminateSteps = (
  cfg: Cfg<typeof O.DECONTAMINATE_OPTIONS>,
): [] | [Step<S.Problem, S.Problem>] => {
  const files = cfg.decontaminate;
  if (!files) return [];
  const opts = { ngram: cfg['decontaminate-ngram'], overlap: cfg['decontaminate-overlap'] };
  return [
    {
      name: 'decontaminate',
      output: S.Problem,
      op: (ctx) => decontaminate(ctx, { evals: () => evalItems(files), ...opts }),
    },
  ];
};

/** With `--checkers DIR`, the step that gives problems their checkers; without, none. */
export const checkersSteps = (cfg: Cfg<typeof O.SANDBOX_OPTIONS>): [] | [Step<S.Problem, S.Problem>] => {
  const dir = cfg.checkers;
  if (!dir) return [];
  return [{ name: 'checkers', output: S.Problem, op: (ctx) => checkers(ctx, { dir }) }];
};

/** With `--max-pairs-per-problem N`, the step that caps each problem's pairs; without, none. */
export const capSteps = <P extends Cappable>(
  cfg: Cfg<typeof O.CAP_OPTIONS> & { seed: number },
  pairs: z.ZodType<P> & z.ZodObject,
): [] | [Step<P, P>] => {
  const max = cfg['max-pairs-per-problem'];
  if (max === undefined) return [];
  return [{ name: 'cap', output: pairs, op: (ctx) => cap<P>(ctx, { max, seed: cfg.seed }) }];
};
