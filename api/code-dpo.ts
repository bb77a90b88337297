/**
 * The code-DPO building blocks of StructFlow, for pipelines of your own: the records' schemas, every stage
 * (operators), the steps both built-in pipelines share and their option groups, the two pipelines, the
 * generators, the sandbox and the trainer's consumers.
 *
 * @example
 * import { definePipeline } from 'structflow';
 * import { formatStep, labelStep, fimStep, options } from 'structflow/code-dpo';
 *
 * @packageDocumentation
 */

// records
export {
  Problem,
  TestSpec,
  RawSolution,
  FormattedSolution,
  LabeledSolution,
  Target,
  PromptedTarget,
  Candidate,
  CheckedCandidate,
  Pair,
  FocalPair,
  ProblemScore,
  Verdict,
  TestResult,
  BlockType,
} from '../lib/schemas.ts';

// stages
export { solutions } from '../operators/solutions.ts';
export type { FormatOptions } from '../operators/format.ts';
export type { LabelOptions } from '../operators/label.ts';
export type { CheckersOptions } from '../operators/checkers.ts';
export type { SplitOptions } from '../operators/split.ts';
export type { FimOptions } from '../operators/fim.ts';
export type { GenerateOptions } from '../operators/generate.ts';
export type { CheckOptions, TimeLimits } from '../operators/check.ts';
export type { PairOptions } from '../operators/pair.ts';
export type { CapOptions, Cappable } from '../operators/cap.ts';
export type { FocalOptions } from '../operators/focal.ts';
export type { RefineOptions } from '../operators/refine.ts';
export type { DecontaminateOptions, EvalItem } from '../operators/decontaminate.ts';
export type { CurriculumOptions } from '../operators/curriculum.ts';
export type { TrlOptions } from '../operators/trl.ts';
export { format } from '../operators/format.ts';
export { label } from '../operators/label.ts';
export { checkers } from '../operators/checkers.ts';
export { split } from '../operators/split.ts';
export { fim } from '../operators/fim.ts';
export { generate } from '../operators/generate.ts';
export { check, basePass } from '../operators/check.ts';
export { pair } from '../operators/pair.ts';
export { cap } from '../operators/cap.ts';
export { task } from '../operators/task.ts';
export { score } from '../operators/score.ts';
export { window } from '../operators/window.ts';
export type { WindowOptions } from '../operators/window.ts';
export { focal } from '../operators/focal.ts';
export { refine } from '../operators/refine.ts';
export { decontaminate } from '../operators/decontaminate.ts';
export { curriculum, ordered } from '../operators/curriculum.ts';
export { trl } from '../operators/trl.ts';

// the built-in pipelines, their shared steps and option groups
export { structurecoder } from '../pipelines/structurecoder.ts';
export { targetdpo } from '../pipelines/targetdpo.ts';
export { evaluation } from '../pipelines/eval.ts';
export { passAtK } from '../lib/code/pass-at-k.ts';
export {
  expectStep,
  formatStep,
  labelStep,
  fimStep,
  generateStep,
  checkStep,
  curriculumStep,
  decontaminateSteps,
  checkersSteps,
  capSteps,
  sandboxNeeds,
  generatorNeeds,
} from '../pipelines/steps.ts';
export * as options from '../pipelines/options.ts';
export { STRUCTURECODER_REPORT, TARGETDPO_REPORT, EVAL_REPORT } from '../pipelines/report.ts';
export { makeGenerator, sandbox } from '../pipelines/resources.ts';

// generators, the sandbox, code helpers
export { MutationGenerator } from '../lib/generators/mutation.ts';
export type { MutationOptions } from '../lib/generators/mutation.ts';
export type { OpenAIOptions } from '../lib/generators/openai.ts';
export type { OnnxOptions } from '../lib/generators/onnx.ts';
export { OpenAIGenerator } from '../lib/generators/openai.ts';
export { OnnxGenerator, loadTokenizer } from '../lib/generators/onnx.ts';
export type { Tokenizer } from '../lib/code/tokenizer.ts';
export type { Generator, Generation, GenerationRequest, GenerationParams } from '../lib/generators/types.ts';
export { ExecPool } from '../lib/sandbox/pool.ts';
export type { ExecRequest, ExecResult, PoolOptions, Limits, StdioCompare } from '../lib/sandbox/pool.ts';
export { findBlocks, splitBlocks, stripComments } from '../lib/code/blocks.ts';
export type { Block, BlockKind, SplitOptions as BlockOptions } from '../lib/code/blocks.ts';
export { formatPython } from '../lib/code/format.ts';
export { levenshtein } from '../lib/code/levenshtein.ts';
export { lineDiff } from '../lib/code/lcs.ts';

// the trainer's consumers
export { train, trainOptions } from '../lib/train/trainer.ts';
export type { TrainConfig, TrainSummary, StepMetrics } from '../lib/train/trainer.ts';
export type { TrainOptions } from '../lib/train/examples.ts';
