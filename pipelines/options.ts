import { DEFAULT_LINE_LENGTH } from '../lib/code/format.ts';
import { DEFAULT_FAMILY, PROMPT_FAMILIES } from '../lib/code/prompts.ts';
import { DEFAULT_RUN_SIZE } from '../lib/external-sort.ts';
import { DEFAULT_MAX_CONNECTION_FAILURES } from '../lib/generators/openai.ts';
import { DEFAULT_PARAMS } from '../lib/generators/types.ts';
import type { OptionSpec, OptionTable } from '../lib/options.ts';
import { CURRICULUM_KEYS, REJECTED_SIDES, type RejectedSides } from '../lib/code/pairs.ts';
import { DEFAULT_CPU_S } from '../lib/sandbox/pool.ts';
import { DEFAULT_TIME_LIMITS } from '../operators/check.ts';
import { DEFAULT_EPOCHS } from '../operators/curriculum.ts';
import { DEFAULT_NGRAM, DEFAULT_OVERLAP } from '../operators/decontaminate.ts';
import { DEFAULT_MAX_WORDS } from '../operators/split.ts';

// Option groups the pipelines share; each pipeline's table spreads the groups it uses.

/** Formatting and the prompt token set. */
export const FORMAT_OPTIONS = {
  'line-length': { type: 'int', default: DEFAULT_LINE_LENGTH, help: 'Black line length' },
  family: {
    type: 'choice',
    choices: Object.keys(PROMPT_FAMILIES),
    arg: 'F',
    default: DEFAULT_FAMILY,
    help: 'prompt token set',
  },
} as const satisfies OptionTable;

/** The sandbox: workers, comparison rule, checkers, time limits. */
export const SANDBOX_OPTIONS = {
  workers: { type: 'int', help: 'sandbox worker processes (default: one per core)', affects: 'nothing' },
  'stdio-compare': {
    type: 'choice',
    choices: ['strict', 'apps'],
    arg: 'RULE',
    default: 'strict',
    help: "stdio answers: strict (tokens in order, exact integers, decimals within 1e-5) or apps (the APPS harness's looser cascade)",
  },
  checkers: {
    type: 'string',
    arg: 'DIR',
    help: 'a folder of <problem_id>.py files defining check(input, output, expected) -> bool: for problems with several valid answers, the judge asks the checker instead of comparing',
  },
  'test-timeout': {
    type: 'number',
    min: 0.001,
    arg: 'S',
    default: DEFAULT_CPU_S,
    help: 'CPU seconds per test in the sandbox at most (the wall limit: max(3× that, that + 2 s))',
  },
  'ref-time-factor': {
    type: 'number',
    min: 0,
    arg: 'K',
    default: DEFAULT_TIME_LIMITS.factor,
    help: "check: a candidate's test may take K × its reference's CPU time (0 = always --test-timeout)",
  },
  'min-test-time': {
    type: 'number',
    min: 0,
    arg: 'S',
    default: DEFAULT_TIME_LIMITS.floor_s,
    help: 'check: ... but never less than S CPU seconds',
  },
} as const satisfies OptionTable;

/** Tests added to each problem by mutating its inputs (the `extra` step). */
export const EXTRA_OPTIONS = {
  'extra-tests': {
    type: 'int',
    min: 0,
    arg: 'N',
    default: 0,
    help: 'add up to N tests to each problem whose tests call a function, by mutating its inputs (seeded by --seed); kept where every passing reference agrees (0 = none)',
  },
} as const satisfies OptionTable;

/** Where candidates come from and how they are sampled and cached. */
export const GENERATION_OPTIONS = {
  generator: {
    type: 'choice',
    choices: ['mutation', 'openai', 'onnx'],
    arg: 'G',
    default: 'mutation',
    help: 'where candidates come from: mutation (no model), openai (a server), onnx (a local model)',
  },
  'model-dir': {
    type: 'string',
    arg: 'DIR',
    help: 'local model for --generator onnx (model.onnx + tokenizer.json)',
  },
  'base-url': {
    type: 'string',
    arg: 'URL',
    affects: 'nothing',
    help: 'OpenAI-compatible server for --generator openai (key from $OPENAI_API_KEY)',
  },
  model: { type: 'string', arg: 'NAME', help: 'model name sent to the server' },
  'max-connection-failures': {
    type: 'int',
    default: DEFAULT_MAX_CONNECTION_FAILURES,
    affects: 'nothing',
    help: '--generator openai: stop the run after N requests in a row that could not connect',
  },
  n: { type: 'int', default: DEFAULT_PARAMS.n, help: 'candidates per target' },
  seed: {
    type: 'int',
    min: 0,
    default: DEFAULT_PARAMS.seed,
    help: 'seed of sampling and mutations (and of the curriculum, unless --curriculum-seed)',
  },
  cache: {
    type: 'string',
    arg: 'DIR',
    affects: 'nothing',
    help: 'generation and verdict cache (default OUT/cache)',
  },
  'no-cache': { type: 'boolean', affects: 'nothing', help: 'run without the caches' },
} as const satisfies OptionTable;

/** The curriculum's copies, seed and sort memory. */
export const CURRICULUM_OPTIONS = {
  epochs: {
    type: 'int',
    default: DEFAULT_EPOCHS,
    affects: 'final',
    help: 'copies of every curriculum bucket',
  },
  'curriculum-seed': {
    type: 'int',
    min: 0,
    affects: 'final',
    help: 'seed of the curriculum shuffle (default: --seed)',
  },
  'sort-run-size': {
    type: 'int',
    default: DEFAULT_RUN_SIZE,
    affects: 'nothing',
    help: 'pairs the curriculum sorts in memory before spilling a run to disk',
  },
} as const satisfies OptionTable;

/** The splitter's limits and the reference's underscore-def quirk. */
export const SPLIT_OPTIONS = {
  'max-words': { type: 'int', default: DEFAULT_MAX_WORDS, help: 'skip block targets of longer solutions' },
  'keep-underscore-defs': {
    type: 'boolean',
    help: 'make defs with "_" in the name targets too (the reference skips them)',
  },
} as const satisfies OptionTable;

/** `--rejected-sides`: the verdicts a rejected side may have; each pipeline has its own default. */
const rejectedSides = (def: RejectedSides) =>
  ({
    type: 'choice',
    choices: REJECTED_SIDES,
    arg: 'V',
    default: def,
    help: 'verdicts a rejected side may have: wrong answers (fail), and runtime errors (error) and timeouts',
  }) as const satisfies OptionSpec;

/** Target-DPO's failing versions are the paper's: wrong answers and runtime errors. */
export const FOCAL_OPTIONS = { 'rejected-sides': rejectedSides('fail,error') } as const satisfies OptionTable;

/** Both pipelines: a cap on any one problem's share of the pairs. */
export const CAP_OPTIONS = {
  'max-pairs-per-problem': {
    type: 'int',
    arg: 'N',
    help: 'keep at most N pairs of any one problem, a seeded choice (--seed); default: all, as in the papers',
  },
} as const satisfies OptionTable;

/** Which candidates are paired, how, and what orders the curriculum. */
export const PAIR_OPTIONS = {
  'rejected-sides': rejectedSides('fail'),
  'curriculum-key': {
    type: 'choice',
    choices: CURRICULUM_KEYS,
    arg: 'K',
    default: 'lines',
    help: "what orders the curriculum: lines of the golden middle (the paper's method and code) or depth of the target block (its contribution list; a whole program counts one deeper than its deepest block)",
  },
  'pair-mode': {
    type: 'choice',
    choices: ['paper', 'reference'],
    arg: 'M',
    default: 'paper',
    help: 'paper: every wrong candidate paired; reference: one pair per target',
  },
} as const satisfies OptionTable;

/** Decontamination against evaluation sets. */
export const DECONTAMINATE_OPTIONS = {
  decontaminate: {
    type: 'string',
    arg: 'FILE,…',
    help: 'evaluation sets (any readable layout: HumanEval, MBPP, LiveCodeBench…): drop problems that copy one',
  },
  'decontaminate-ngram': { type: 'int', default: DEFAULT_NGRAM, help: 'decontamination: word n-gram length' },
  'decontaminate-overlap': {
    type: 'number',
    min: 0,
    default: DEFAULT_OVERLAP,
    help: "decontamination: share of an evaluation text's n-grams that makes a copy",
  },
} as const satisfies OptionTable;

/** TRL-native columns in the final output. */
export const TRL_OPTIONS = {
  trl: {
    type: 'choice',
    choices: ['conversational', 'pretokenized'],
    arg: 'MODE',
    affects: 'final',
    help: "TRL-native columns in the final output: conversational (prompt/chosen/rejected as message lists) or pretokenized (prompt_ids/chosen_ids/rejected_ids with the trainer's tokenization)",
  },
  'trl-tokenizer': {
    type: 'string',
    arg: 'DIR',
    affects: 'final',
    help: '--trl pretokenized: the tokenizer.json of the model to train (default: --tokenizer; one of them is needed)',
  },
} as const satisfies OptionTable;
