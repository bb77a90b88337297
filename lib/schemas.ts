import { z } from 'zod';
import { notAColumn } from './columns.ts';

/**
 * Trusted Python (the user's, from `--checkers`) defining `check(input, output, expected)`: true when `output`
 * answers `input`. It replaces the comparison, for a problem with several valid answers.
 */
const checker = z.string().min(1).optional();

/** How a problem is judged: stdio (inputs and expected outputs), call (a function's name, arguments and results) or assert (test code). */
export const TestSpec = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('stdio'),
    inputs: z.array(z.string()),
    outputs: z.array(z.string()),
    checker,
    /** The statement accepts real-valued answers within this absolute or relative error: every numeric token
     *  compares within it, an integer-looking expected one included (`1` is answered by `1.0000000000`). */
    tolerance: z.number().positive().max(1).optional(),
  }),
  z.object({
    kind: z.literal('call'),
    fn_name: z.string().min(1),
    inputs: z.array(z.unknown()),
    outputs: z.array(z.unknown()),
    checker,
    /** A program defining `fn_name` whose return values are the expected outputs (evalplus: the canonical
     *  solution with its contract). The `expect` stage runs it in the sandbox, fills `outputs` (`encoded`),
     *  drops the inputs it raises on, and removes this field. */
    reference: z.string().optional(),
    /** `inputs` and `outputs` are the judge's own JSON text of each value, as `expect` recorded them: Python
     *  reads it back whole (big integers, infinities, tuples, sets, floats), which JSON parsed in Node could not keep. */
    encoded: z.literal(true).optional(),
    /** The first `base` tests are the dataset's original ones, the rest added (evalplus's plus inputs):
     *  `eval` reports pass@k on the base tests and on all. */
    base: z.number().int().nonnegative().optional(),
    /** A returned float (or list or tuple of floats) passes within this absolute tolerance, with a relative
     *  one of 1e-7 (evalplus's `atol`, numpy's `allclose`); 0 or absent: exact. */
    atol: z.number().nonnegative().optional(),
  }),
  z.object({
    kind: z.literal('assert'),
    code: z.string(),
    /** Trusted code the judge runs before the tests: the dataset's own prompt code, helpers and imports. */
    context: z.string().optional(),
    /** The names the tests take from the program; without it, every free name the trusted side lacks. */
    entry_points: z.array(z.string()).optional(),
  }),
]);
export type TestSpec = z.infer<typeof TestSpec>;

/** A problem as every reader makes it: question, reference solutions, tests, starter code. */
export const Problem = z.object({
  problem_id: z.string().min(1),
  /** The reader that made it (its `--input-format` name). */
  source: z.string().min(1),
  question: z.string(),
  /** What the model writes: the reference programs, without the code the task gives (`given`). */
  solutions: z.array(z.string()),
  tests: TestSpec,
  starter_code: z.string(),
  /**
   * Code the task gives, which every program runs after (LeetCodeDataset's header of imports and helpers,
   * the imports and helper functions of a HumanEval prompt): context, never a target nor part of an answer.
   */
  given: z.string().optional(),
  difficulty: z.string().optional(),
  url: z.string().optional(),
  /** When the problem was published (ISO date), where the dataset says: evaluation windows against contamination. */
  released: z.string().optional(),
  /** Position of the row in the whole input (all ranks): the order a merge restores. */
  problem_index: z.number().int().nonnegative().optional(),
  /**
   * Tests added by `--extra-tests` (the `extra` stage): call tests of `fn_name` on mutated inputs, their
   * expected outputs what every passing reference returned, both in the judge's own text (`encoded`). A
   * program is judged on them after it passed `tests`, in a run of its own.
   */
  extra_tests: z
    .object({
      fn_name: z.string().min(1),
      inputs: z.array(z.string()),
      outputs: z.array(z.string()),
      atol: z.number().nonnegative().optional(),
    })
    .optional(),
});
export type Problem = z.infer<typeof Problem>;

/** A problem's added tests (`extra_tests`) as the call tests the judge runs. */
export function extraTestSpec(p: Problem): TestSpec | undefined {
  const x = p.extra_tests;
  if (!x?.inputs.length) return undefined;
  return {
    kind: 'call',
    fn_name: x.fn_name,
    inputs: x.inputs,
    outputs: x.outputs,
    encoded: true,
    ...(x.atol ? { atol: x.atol } : {}),
  };
}

// Downstream records point at their problem instead of copying it: the problem was validated once
// by the reader, and APPS tests can be megabytes, so re-validating them per record would dominate.
const problemRef = notAColumn(
  z.custom<Problem>(
    (v) => typeof v === 'object' && v !== null && typeof (v as Problem).problem_id === 'string',
    'expected a problem record',
  ),
);

/** One reference solution of a problem, before formatting. */
export const RawSolution = z.object({
  problem: problemRef,
  problem_id: z.string(),
  solution_index: z.number().int().nonnegative(),
  code: z.string(),
});
export type RawSolution = z.infer<typeof RawSolution>;

/** A solution after the `format` stage: `code` is Black-style formatted. */
export const FormattedSolution = RawSolution.extend({ formatted: notAColumn(z.literal(true)) });
export type FormattedSolution = z.infer<typeof FormattedSolution>;

/** A program's verdict on its tests. */
export const Verdict = z.enum([
  'pass',
  'fail',
  'error',
  'timeout',
  'memory',
  'output_limit',
  'compile_error',
  'no_tests',
]);
export type Verdict = z.infer<typeof Verdict>;

/** Result of one test of a program run in the sandbox. */
export const TestResult = z.object({
  verdict: z.enum(['pass', 'fail', 'error', 'timeout', 'memory', 'output_limit', 'skipped']),
  /** Wall milliseconds. */
  ms: z.number(),
  /** CPU milliseconds, as the kernel counted them (the reference time of `check`'s limits). */
  cpu_ms: z.number().optional(),
  error: z.string().optional(),
});
export type TestResult = z.infer<typeof TestResult>;

/** A formatted solution with its verdict from the `label` stage (only `pass` ones go on). */
export const LabeledSolution = FormattedSolution.extend({
  verdict: Verdict,
  test_results: z.array(TestResult),
});
export type LabeledSolution = z.infer<typeof LabeledSolution>;

/** A target's kind of block: a statement the splitter cuts out, or the whole program (`full`). */
export const BlockType = z.enum(['if', 'for', 'while', 'def', 'full']);
export type BlockType = z.infer<typeof BlockType>;

/** A fill-in-the-middle target made by `split`. Lines are 1-based and inclusive. */
export const Target = z.object({
  problem: problemRef,
  problem_id: z.string(),
  solution_index: z.number().int().nonnegative(),
  target_id: z.string(),
  kind: z.enum(['fim', 'full']),
  block_type: BlockType,
  depth: z.number().int().nonnegative(),
  start_line: z.number().int().positive(),
  end_line: z.number().int().positive(),
  prefix: z.string(),
  middle: z.string(),
  suffix: z.string(),
  /** CPU milliseconds per test of the solution it was cut from (from `label`): `check`'s time limits. */
  ref_cpu_ms: notAColumn(z.array(z.number()).optional()),
});
export type Target = z.infer<typeof Target>;

/** A target with its prompts, made by `fim`. */
export const PromptedTarget = Target.extend({
  question: z.string(),
  starter_code: z.string(),
  fim_prompt: z.string(),
  chat_prompt: z.string(),
  gen_start: z.string(),
  prompt_family: z.string(),
});
export type PromptedTarget = z.infer<typeof PromptedTarget>;

/** What the rejects file holds: one line per record that left the pipeline early. */
/** One problem's evaluation (`score`): its samples, their verdicts, and how many passed. */
export const ProblemScore = z.object({
  problem_id: z.string(),
  problem_index: z.number().int().nonnegative(),
  source: z.string(),
  difficulty: z.string(),
  /** Samples drawn, and how many of them passed every test. */
  n: z.number().int().nonnegative(),
  correct: z.number().int().nonnegative(),
  /** How many passed the original tests alone (evalplus's base), where the tests split base from added ones. */
  correct_base: z.number().int().nonnegative().optional(),
  /** Samples by verdict. */
  verdicts: z.record(z.string(), z.number().int()),
  /** Each sample's program, verdict and first error, in generation order. */
  samples: z.array(z.object({ program: z.string(), verdict: z.string(), error: z.string() })),
});
export type ProblemScore = z.infer<typeof ProblemScore>;

/** A generated candidate for a target (`generate`): the target's columns plus the candidate middle. */
export const Candidate = PromptedTarget.extend({
  candidate_index: z.number().int().nonnegative(),
  /** The middle after post-processing: the program is `prefix + candidate + suffix`. */
  candidate: z.string(),
  generator: z.string(),
  /** What made it: a mutation's name, or the model. */
  origin: z.string(),
});
export type Candidate = z.infer<typeof Candidate>;

/** A candidate with its verdict from running it in the sandbox (`check`). */
export const CheckedCandidate = Candidate.extend({
  verdict: Verdict,
  error: z.string(),
  /** Tests it passed: how close a failing candidate came (pairs prefer the closest rejected side). */
  passed_tests: z.number().int().nonnegative().optional(),
  /** Whether it passed the dataset's original tests (`base` of its call tests; absent without a split). */
  base_pass: z.boolean().optional(),
  /** It passed the problem's own tests and failed one added by `--extra-tests`: a hard negative. */
  extra_fail: z.boolean().optional(),
});
export type CheckedCandidate = z.infer<typeof CheckedCandidate>;

/** A preference pair: one right and one wrong candidate of the same target. */
export const Pair = z.object({
  problem_id: z.string(),
  problem_index: z.number().int().nonnegative(),
  solution_index: z.number().int().nonnegative(),
  target_id: z.string(),
  kind: z.enum(['fim', 'full']),
  block_type: BlockType,
  depth: z.number().int().nonnegative(),
  start_line: z.number().int().positive(),
  end_line: z.number().int().positive(),
  /** Lines of the golden middle (full targets: of the solution): the curriculum's sort key. */
  curriculum_key: z.number().int().nonnegative(),
  question: z.string(),
  /** `stdio`, `call` or `assert`: the trainer appends the stdin instruction to stdio questions only. */
  test_kind: z.string(),
  starter_code: z.string(),
  prefix: z.string(),
  suffix: z.string(),
  chosen_middle: z.string(),
  rejected_middle: z.string(),
  chosen_index: z.number().int().nonnegative(),
  rejected_index: z.number().int().nonnegative(),
  chosen_origin: z.string(),
  rejected_origin: z.string(),
  /** The rejected side's verdict and its first error (the sandbox's message), for the report's pair browser. */
  rejected_verdict: z.string(),
  rejected_error: z.string(),
  edit_distance: z.number().int().nonnegative(),
  /** The trainer's own contexts: FIM up to `<|fim_middle|>`; chat up to the prefix. */
  fim_prompt: z.string(),
  chat_prompt: z.string(),
  /** TRL's columns: the FIM context for block targets, the chat context for full ones. */
  prompt: z.string(),
  chosen: z.string(),
  rejected: z.string(),
});
export type Pair = z.infer<typeof Pair>;

/** A Target-DPO pair: whole programs with their focal line diffs and the rejected token mask. */
export const FocalPair = Pair.extend({
  chosen_code: z.string(),
  rejected_code: z.string(),
  /** 1-based lines of D+ (in chosen_code) and D− (in rejected_code). */
  chosen_diff_lines: z.array(z.number().int().positive()),
  rejected_diff_lines: z.array(z.number().int().positive()),
  /**
   * Per token of rejected_code under the tokenizer the run was given (`--tokenizer`): 1 where it overlaps a D−
   * line. Null without one: the D− lines are the fact; the trainer masks them with its own tokenizer.
   */
  rejected_mask: z.array(z.number().int().min(0).max(1)).nullable(),
  /** Token counts under the same tokenizer; null without one. */
  chosen_tokens: z.number().int().nonnegative().nullable(),
  rejected_tokens: z.number().int().nonnegative().nullable(),
});
export type FocalPair = z.infer<typeof FocalPair>;
