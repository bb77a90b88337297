import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { findBlocks, stripComments } from './blocks.ts';
import { DEFAULT_UNIT_SIZE, INPUT_FORMATS, readUnits, type InputFormat } from './datasets.ts';
import { formatPython } from './format.ts';
import { MutationGenerator } from './generators/mutation.ts';
import { OnnxGenerator } from './generators/onnx.ts';
import { OpenAIGenerator } from './generators/openai.ts';
import type { Generator } from './generators/types.ts';
import { join } from 'node:path';
import { runToShards, type PipelineOutput } from './runner.ts';
import type { Problem } from './schemas.ts';
import { PARQUET_ENGINES } from './shards.ts';
import { STAGES, structurecoder, type StructureCoderStage } from '../pipelines/structurecoder.ts';
import { targetdpo } from '../pipelines/targetdpo.ts';
import { mergeRanks } from './merge.ts';
import { DEFAULT_TIME_LIMITS } from '../operators/check.ts';
import { precomputeReference } from './train/reference.ts';
import { exportBatches, train } from './train/trainer.ts';

const DEFAULT_TOKENIZER = new URL('../fixtures/tiny-model', import.meta.url).pathname;

const USAGE = `structflow — streaming dataflow for code-LLM preference data

Usage:
  structflow run structurecoder --input PATH --out DIR [options]
  structflow run targetdpo --input PATH --out DIR [--tokenizer DIR] [options]
  structflow train --shards DIR --model DIR --out DIR [train options]
  structflow ref-logps --shards DIR --model-dir DIR --out DIR [--loss L] [--max-len N]
  structflow merge --inputs DIR1,DIR2,… --out DIR [--epochs N] [--seed N] [--rows-per-shard N]
  structflow blocks FILE.py [--format] [--keep-underscore-defs]
  structflow help

run options:
  --input PATH            APPS/HumanEval/MBPP rows (.jsonl, .jsonl.gz, .json, .parquet, .arrow) or an APPS folder
  --out DIR               output folder: part-NNNNN.parquet, manifest.json, rejects.jsonl
  --input-format F        ${INPUT_FORMATS.join('|')} (default: detected from the path and first row)
  --until STAGE           last stage to run: ${STAGES.join('|')} (default: curriculum)
  --pair-mode M           paper (every wrong candidate paired, default) | reference (one pair per target)
  --epochs N              copies of every curriculum bucket (default 3)
  --sort-run-size N       pairs the curriculum sorts in memory before spilling a run to disk (default 20000)
  --workers N             sandbox worker processes (default: one per core)
  --test-timeout S        CPU seconds per test in the sandbox at most (default 5; the wall limit is 3× that)
  --ref-time-factor K     check: a candidate's test may take K × its reference's CPU time (default 4;
                          0 = always --test-timeout)
  --min-test-time S       check: ... but never less than S CPU seconds (default 0.5)
  --rows-per-shard N      rows per Parquet file (default 10000)
  --parquet-engine E      ${Object.keys(PARQUET_ENGINES).join('|')} (default parquet-wasm)
  --concurrency N         problems in flight at once (default 4)
  --family F              prompt token set: qwen|starcoder|deepseek|codellama (default qwen)
  --line-length N         Black line length (default 88)
  --max-words N           skip block targets of longer solutions (default 2048)
  --keep-underscore-defs  make defs with "_" in the name targets too (the reference skips them)
  --generator G           mutation (default, no model) | openai | onnx
  --model-dir DIR         local model for --generator onnx (model.onnx + tokenizer.json)
  --base-url URL          OpenAI-compatible server for --generator openai (key from $OPENAI_API_KEY)
  --model NAME            model name sent to the server
  --n N                   candidates per target (default 5)
  --seed N                seed of sampling and mutations (default 0)
  --cache DIR             generation cache (default DIR/cache); --no-cache to bypass
  --rounds N              targetdpo with a model: versions per refinement chain at most (default 5)
  --tokenizer DIR         targetdpo: folder with the trained model's tokenizer.json (default fixtures/tiny-model)
  --rank R --world W      run one rank of W: problems whose input position is R modulo W (also read from
                          SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT or Kubernetes JOB_COMPLETION_INDEX);
                          run the ranks with --until pair, then structflow merge
  --unit-size N           input rows worked on and committed together (default 256). A run started again
                          in the same DIR with the same settings skips committed units: after a crash it
                          loses at most the unit in flight, and new input files cost only their own units
  --overwrite             discard the committed work of an earlier run in DIR made with other settings
  --quiet                 no progress lines
`;

class UsageError extends Error {}

function int(v: string | undefined, name: string, dflt: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--${name} must be a positive integer, got "${v}"`);
  return n;
}

async function run(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      input: { type: 'string' },
      out: { type: 'string' },
      'input-format': { type: 'string' },
      until: { type: 'string' },
      'rows-per-shard': { type: 'string' },
      'parquet-engine': { type: 'string' },
      concurrency: { type: 'string' },
      family: { type: 'string' },
      'line-length': { type: 'string' },
      'max-words': { type: 'string' },
      'keep-underscore-defs': { type: 'boolean' },
      overwrite: { type: 'boolean' },
      quiet: { type: 'boolean' },
      workers: { type: 'string' },
      'test-timeout': { type: 'string' },
      'ref-time-factor': { type: 'string' },
      'min-test-time': { type: 'string' },
      generator: { type: 'string' },
      'model-dir': { type: 'string' },
      'base-url': { type: 'string' },
      model: { type: 'string' },
      n: { type: 'string' },
      seed: { type: 'string' },
      cache: { type: 'string' },
      'no-cache': { type: 'boolean' },
      'pair-mode': { type: 'string' },
      epochs: { type: 'string' },
      'sort-run-size': { type: 'string' },
      tokenizer: { type: 'string' },
      rank: { type: 'string' },
      world: { type: 'string' },
      'unit-size': { type: 'string' },
      rounds: { type: 'string' },
    },
  });
  const [name] = positionals;
  if (name !== 'structurecoder' && name !== 'targetdpo') {
    throw new UsageError(`unknown pipeline "${name ?? ''}"; available: structurecoder, targetdpo`);
  }
  if (!values.input || !values.out) throw new UsageError('run needs --input PATH and --out DIR');
  const format = values['input-format'] as InputFormat | undefined;
  if (format && !INPUT_FORMATS.includes(format))
    throw new UsageError(`--input-format must be one of ${INPUT_FORMATS.join('|')}`);
  const until = (values.until ?? 'curriculum') as StructureCoderStage;
  if (!STAGES.includes(until)) throw new UsageError(`--until must be one of ${STAGES.join('|')}`);
  const engineName = values['parquet-engine'] ?? 'parquet-wasm';
  const engine = PARQUET_ENGINES[engineName];
  if (!engine)
    throw new UsageError(`--parquet-engine must be one of ${Object.keys(PARQUET_ENGINES).join('|')}`);
  const config = {
    lineLength: int(values['line-length'], 'line-length', 88),
    skipUnderscoreDefs: !values['keep-underscore-defs'],
    maxWords: int(values['max-words'], 'max-words', 2048),
    family: values.family ?? 'qwen',
    exec: {
      ...(values['no-cache']
        ? {}
        : { cacheDir: join(values.cache ?? join(values.out, 'cache'), 'verdicts') }),
      ...(values.workers ? { workers: int(values.workers, 'workers', 1) } : {}),
      ...(values['test-timeout'] ? { limits: testLimits(values['test-timeout']) } : {}),
    },
    timeLimits: {
      factor: nonNegative(values['ref-time-factor'], 'ref-time-factor', DEFAULT_TIME_LIMITS.factor),
      floor_s: nonNegative(values['min-test-time'], 'min-test-time', DEFAULT_TIME_LIMITS.floor_s),
    },
    params: { n: int(values.n, 'n', 5), seed: seed(values.seed) },
    pairMode: pairMode(values['pair-mode']),
    epochs: int(values.epochs, 'epochs', 3),
    rounds: int(values.rounds, 'rounds', 5),
    seed: seed(values.seed),
    tmpDir: values.out,
    sortRunSize: int(values['sort-run-size'], 'sort-run-size', 20_000),
  };
  const generator = makeGenerator(
    values.generator ?? 'mutation',
    values['base-url'],
    values.model,
    values['model-dir'],
  );
  const cacheDir = values['no-cache'] ? undefined : (values.cache ?? join(values.out, 'cache'));
  const input = values.input;
  const partition = rankOf(values.rank, values.world);
  const tokenizerDir = values.tokenizer ?? DEFAULT_TOKENIZER;
  if (name === 'targetdpo' && values.until)
    throw new UsageError('--until applies to the structurecoder pipeline only');
  const unitSize = int(values['unit-size'], 'unit-size', DEFAULT_UNIT_SIZE);
  const { exec, tmpDir: _tmp, sortRunSize: _runSize, ...decisive } = config;
  await runToShards({
    pipeline: name,
    until,
    units: (ctx) =>
      readUnits(ctx, input, {
        unitSize,
        ...(format ? { format } : {}),
        ...(partition ? { partition } : {}),
      }),
    build: (ctx) =>
      name === 'targetdpo'
        ? (targetdpo(ctx, {
            ...config,
            generator,
            tokenizerDir,
            ...(cacheDir ? { cacheDir } : {}),
          }) as PipelineOutput<Problem, unknown>)
        : (structurecoder(
            ctx,
            { ...config, generator, ...(cacheDir ? { cacheDir } : {}) },
            until,
          ) as PipelineOutput<Problem, unknown>),
    out: values.out,
    rowsPerShard: int(values['rows-per-shard'], 'rows-per-shard', 10_000),
    engine,
    concurrency: int(values.concurrency, 'concurrency', 4),
    overwrite: !!values.overwrite,
    progress: !values.quiet,
    // what decides the records: a rerun in DIR reuses committed units only when these are the same
    settings: {
      pipeline: name,
      until: name === 'targetdpo' ? undefined : until,
      ...decisive,
      limits: exec.limits,
      input_format: format ?? 'auto',
      generator: generator.name,
      model: generator.model,
      partition,
      unitSize,
      ...(name === 'targetdpo' ? { tokenizer: tokenizerDir } : {}),
    },
    config: {
      ...config,
      unit_size: unitSize,
      input,
      input_format: format ?? 'auto',
      generator: generator.name,
      model: generator.model,
      ...(partition ? { partition } : {}),
    },
  });
}

/** This process's rank and the number of ranks: flags first, then Slurm arrays, then Kubernetes Indexed Jobs. */
function rankOf(rankArg?: string, worldArg?: string): { rank: number; world: number } | undefined {
  const env = process.env;
  const rank = rankArg ?? env.SLURM_ARRAY_TASK_ID ?? env.JOB_COMPLETION_INDEX;
  const world = worldArg ?? env.SLURM_ARRAY_TASK_COUNT;
  if (rank === undefined && world === undefined) return undefined;
  const r = Number(rank ?? 0);
  const w = Number(world);
  if (!Number.isInteger(w) || w < 1)
    throw new UsageError(`the number of ranks is missing or not a positive integer: --world W`);
  if (!Number.isInteger(r) || r < 0 || r >= w) throw new UsageError(`rank ${rank} is not in 0..${w - 1}`);
  return { rank: r, world: w };
}

async function mergeCmd(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      inputs: { type: 'string' },
      out: { type: 'string' },
      epochs: { type: 'string' },
      'sort-run-size': { type: 'string' },
      seed: { type: 'string' },
      'rows-per-shard': { type: 'string' },
    },
  });
  if (!values.inputs || !values.out) throw new UsageError('merge needs --inputs DIR1,DIR2,… and --out DIR');
  const m = await mergeRanks(values.inputs.split(','), values.out, {
    epochs: int(values.epochs, 'epochs', 3),
    seed: seed(values.seed),
    rowsPerShard: int(values['rows-per-shard'], 'rows-per-shard', 10_000),
    runSize: int(values['sort-run-size'], 'sort-run-size', 20_000),
    tmpDir: values.out,
  });
  process.stderr.write(`${m.rows} rows in ${m.shards.length} shard(s) → ${values.out}/manifest.json\n`);
}

function seed(v: string | undefined): number {
  const n = Number(v ?? 0);
  if (!Number.isInteger(n) || n < 0)
    throw new UsageError(`--seed must be a non-negative integer, got "${v}"`);
  return n;
}

function pairMode(v: string | undefined): 'paper' | 'reference' {
  if (v === undefined || v === 'paper' || v === 'reference') return v ?? 'paper';
  throw new UsageError(`--pair-mode must be paper or reference, got "${v}"`);
}

function nonNegative(v: string | undefined, name: string, dflt: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!(n >= 0)) throw new UsageError(`--${name} must be a number ≥ 0, got "${v}"`);
  return n;
}

function testLimits(v: string): { test_cpu_s: number } {
  const s = Number(v);
  if (!(s > 0)) throw new UsageError(`--test-timeout must be a positive number of seconds, got "${v}"`);
  return { test_cpu_s: s };
}

function makeGenerator(name: string, baseUrl?: string, model?: string, modelDir?: string): Generator {
  if (name === 'mutation') return new MutationGenerator();
  if (name === 'openai') {
    if (!baseUrl || !model) throw new UsageError('--generator openai needs --base-url URL and --model NAME');
    return new OpenAIGenerator({
      baseUrl,
      model,
      ...(process.env.OPENAI_API_KEY ? { apiKey: process.env.OPENAI_API_KEY } : {}),
    });
  }
  if (name === 'onnx') {
    if (!modelDir)
      throw new UsageError('--generator onnx needs --model-dir DIR (model.onnx and tokenizer.json)');
    return new OnnxGenerator({ modelDir });
  }
  throw new UsageError(`--generator must be mutation, openai or onnx, got "${name}"`);
}

const TRAIN_USAGE = `train options:
  --shards DIR            a pipeline's output folder (manifest.json + shards), read in manifest order
  --model DIR             the built-in tiny model folder, or a Hugging Face model (needs transformers)
  --out DIR               checkpoints, metrics.jsonl, metrics.png
  --loss L                dpo | target-dpo | target-rpo (default dpo)
  --preset P              structurecoder (beta 0.5) | targetdpo (beta 0.1) (default structurecoder)
  --beta B, --alpha A     override the preset's beta; the RPO weight (default 1.0)
  --lr X                  learning rate (default 1e-6)
  --optimizer O           rmsprop | adamw (default rmsprop)
  --warmup-ratio R        warm-up share of the cosine schedule (default 0.05)
  --batch-size N          pairs per micro-batch (default 4)
  --grad-accum N          micro-batches per optimizer step (default 1)
  --steps N               stop after N optimizer steps (default: one pass)
  --fim-rate P            probability of the FIM format per block pair (default 0.5)
  --max-len N             drop pairs longer than N tokens (default 2048)
  --seed N                seed of the FIM/chat draws and of torch (default 0)
  --checkpoint-every N    save a checkpoint every N steps (always at the end)
  --resume                continue from DIR/checkpoint at the exact next pair
  --export-batches FILE   write the batch stream to FILE instead of training, for several GPUs:
                          torchrun --nproc_per_node N python/train_worker.py --input FILE --model DIR --out DIR --total-steps S
`;

async function trainCmd(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: Object.fromEntries(
      [
        'shards',
        'model',
        'out',
        'loss',
        'preset',
        'beta',
        'alpha',
        'lr',
        'optimizer',
        'warmup-ratio',
        'batch-size',
        'grad-accum',
        'steps',
        'fim-rate',
        'max-len',
        'seed',
        'checkpoint-every',
        'tokenizer',
      ]
        .concat(['export-batches'])
        .map((k) => [k, { type: 'string' as const }])
        .concat([['resume', { type: 'boolean' as const }] as never]),
    ),
  });
  const v = values as Record<string, string | boolean | undefined>;
  const str = (k: string) => (typeof v[k] === 'string' ? (v[k] as string) : undefined);
  const num = (k: string) => {
    const x = str(k);
    if (x === undefined) return undefined;
    const n = Number(x);
    if (!Number.isFinite(n)) throw new UsageError(`--${k} must be a number, got "${x}"`);
    return n;
  };
  const [shards, model, out] = [str('shards'), str('model'), str('out')];
  if (!shards || !model || !out)
    throw new UsageError('train needs --shards DIR --model DIR --out DIR\n\n' + TRAIN_USAGE);
  const loss = str('loss') ?? 'dpo';
  if (!['dpo', 'target-dpo', 'target-rpo'].includes(loss))
    throw new UsageError('--loss must be dpo, target-dpo or target-rpo');
  const preset = str('preset') ?? 'structurecoder';
  if (!['structurecoder', 'targetdpo'].includes(preset))
    throw new UsageError('--preset must be structurecoder or targetdpo');
  const optimizer = str('optimizer') ?? 'rmsprop';
  if (!['rmsprop', 'adamw'].includes(optimizer)) throw new UsageError('--optimizer must be rmsprop or adamw');
  const exportTo = str('export-batches');
  if (exportTo) {
    const { sent, dropped } = await exportBatches(
      {
        shards,
        model,
        out,
        ...(str('tokenizer') ? { tokenizer: str('tokenizer')! } : {}),
        ...(num('batch-size') ? { batchSize: num('batch-size')! } : {}),
      },
      exportTo,
    );
    process.stderr.write(`${sent} pairs (${dropped} dropped) → ${exportTo}\n`);
    return;
  }
  const defined = <T extends object>(o: T) =>
    Object.fromEntries(Object.entries(o).filter(([, x]) => x !== undefined)) as T;
  await train(
    defined({
      shards,
      model,
      out,
      loss: loss as 'dpo',
      preset: preset as 'structurecoder',
      optimizer: optimizer as 'rmsprop',
      beta: num('beta'),
      alpha: num('alpha'),
      lr: num('lr'),
      warmupRatio: num('warmup-ratio'),
      batchSize: num('batch-size'),
      gradAccum: num('grad-accum'),
      steps: num('steps'),
      fimRate: num('fim-rate'),
      maxLen: num('max-len'),
      seed: num('seed'),
      checkpointEvery: num('checkpoint-every'),
      tokenizer: str('tokenizer'),
      resume: v.resume === true,
    }),
  );
}

async function refCmd(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      shards: { type: 'string' },
      'model-dir': { type: 'string' },
      out: { type: 'string' },
      loss: { type: 'string' },
      'max-len': { type: 'string' },
    },
  });
  if (!values.shards || !values['model-dir'] || !values.out)
    throw new UsageError('ref-logps needs --shards DIR --model-dir DIR --out DIR');
  const n = await precomputeReference(values.shards, values['model-dir'], values.out, {
    maxLen: int(values['max-len'], 'max-len', 2048),
    instructionAlways: false,
    focal: values.loss === 'target-dpo' || values.loss === 'target-rpo',
    family: 'qwen',
  });
  process.stderr.write(`reference log-probs of ${n} pairs → ${values.out}/manifest.json\n`);
}

function blocks(argv: string[]): void {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { format: { type: 'boolean' }, 'keep-underscore-defs': { type: 'boolean' } },
  });
  const [file] = positionals;
  if (!file) throw new UsageError('blocks needs a Python file');
  let code = readFileSync(file, 'utf8');
  if (values.format) code = formatPython(code);
  for (const b of findBlocks(stripComments(code), { skipUnderscoreDefs: !values['keep-underscore-defs'] })) {
    process.stdout.write(JSON.stringify(b) + '\n');
  }
}

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    if (cmd === 'run') await run(rest);
    else if (cmd === 'blocks') blocks(rest);
    else if (cmd === 'train') await trainCmd(rest);
    else if (cmd === 'ref-logps') await refCmd(rest);
    else if (cmd === 'merge') await mergeCmd(rest);
    else if (!cmd || cmd === 'help' || cmd === '--help' || cmd === '-h')
      process.stdout.write(USAGE + '\n' + TRAIN_USAGE);
    else throw new UsageError(`unknown command "${cmd}"`);
    return 0;
  } catch (err) {
    const usage = err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    process.stderr.write(`structflow: ${(err as Error).message}\n${usage ? '\n' + USAGE : ''}`);
    return usage ? 2 : 1;
  }
}
