import { existsSync } from 'node:fs';
import { basename, isAbsolute, relative } from 'node:path';
import {
  optionHelp,
  parseOptions,
  recordSettings,
  UsageError,
  type OptionTable,
  type OptionValues,
} from '../../lib/options.ts';
import { plan, type Pipeline } from '../../lib/pipeline.ts';
import { Fatal } from '../../lib/stage.ts';
import { runToShards } from '../../lib/runner.ts';
import { DEFAULT_ROWS_PER_SHARD, PARQUET_ENGINES } from '../../lib/shards.ts';
import { checkInputFiles, countRows, DEFAULT_UNIT_SIZE, folderStamp } from '../../lib/units.ts';
import { PIPELINES } from '../../pipelines/index.ts';
import { INPUT_FORMATS, readProblemUnits } from '../../readers/index.ts';
import type { Manifest } from '../../lib/manifest.ts';
import { isModulePath, loadPipeline } from '../pipeline-module.ts';

/** The options of every `run`, whatever the pipeline (each pipeline adds its own). */
export const RUN_OPTIONS = {
  input: {
    type: 'string',
    required: true,
    arg: 'PATH',
    affects: 'nothing',
    help: 'dataset rows (.jsonl, .jsonl.gz, .json, .parquet, .arrow), a folder of such files or an APPS folder; comma-separated for several',
  },
  out: {
    type: 'string',
    required: true,
    arg: 'DIR',
    affects: 'nothing',
    help: 'output folder: part-NNNNN.parquet, manifest.json, rejects.jsonl, report.html',
  },
  'input-format': {
    type: 'choice',
    choices: INPUT_FORMATS,
    arg: 'F',
    shownDefault: 'detected from the path and the first row',
    help: 'the dataset layout',
  },
  until: {
    type: 'string',
    arg: 'STEP',
    help: "last step to run (default: all, with the pipeline's final step)",
  },
  'rows-per-shard': {
    type: 'int',
    default: DEFAULT_ROWS_PER_SHARD,
    affects: 'final',
    help: 'rows per Parquet file',
  },
  'parquet-engine': {
    type: 'choice',
    choices: Object.keys(PARQUET_ENGINES),
    arg: 'E',
    default: 'parquet-wasm',
    affects: 'final',
    help: 'Parquet writer',
  },
  concurrency: { type: 'int', default: 4, affects: 'nothing', help: 'problems in flight at once' },
  'unit-size': {
    type: 'int',
    default: DEFAULT_UNIT_SIZE,
    help: 'input rows worked on and committed together. A run started again in the same DIR with the same settings skips committed units: after a crash it loses at most the unit in flight, and new input files cost only their own units',
  },
  limit: {
    type: 'int',
    arg: 'N',
    affects: 'input',
    help: 'work on the first N input rows only (to try a pipeline on a large dataset; the ranks share them)',
  },
  rank: {
    type: 'int',
    min: 0,
    arg: 'R',
    affects: 'nothing',
    help: 'run one rank of --world W: problems whose input position is R modulo W (also read from SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT or Kubernetes JOB_COMPLETION_INDEX); run the ranks with --until pair, then structflow merge',
  },
  world: { type: 'int', arg: 'W', affects: 'nothing', help: 'the number of ranks' },
  'allow-partial-input': {
    type: 'boolean',
    affects: 'nothing',
    help: 'go on with the rows before the damage of a cut-off or corrupt .gz input file (said on stderr); without it, such a file stops the run (exit 1), keeping the units committed before it',
  },
  overwrite: {
    type: 'boolean',
    affects: 'nothing',
    help: 'discard the committed work of an earlier run in DIR made with other settings',
  },
  quiet: { type: 'boolean', affects: 'nothing', help: 'no progress lines' },
} as const satisfies OptionTable;

export const USAGE = 'structflow run PIPELINE --input PATH --out DIR [options]';

/** The summary's lines of a command that runs a pipeline: its --quiet drops the progress lines only, as the
 *  summary is what a job's log keeps (`runPipeline`'s `quiet`, for programs, prints nothing). */
export const commandLog = (line: string) => void process.stderr.write(line + '\n');

export async function help(argv: string[]): Promise<string> {
  const name = argv.find((a) => !a.startsWith('-'));
  const shown =
    name && (PIPELINES[name] || isModulePath(name)) ? [await loadPipeline(name)] : Object.values(PIPELINES);
  const module = shown.length === 1 ? shown[0]!.module : undefined;
  return [
    `Usage: ${module ? USAGE.replace('PIPELINE', name!) : USAGE}`,
    module
      ? `  ${name}: the pipeline module ${module} (${shown[0]!.name})`
      : `  PIPELINE: ${Object.keys(PIPELINES).join(' | ')}`,
    '',
    'Options of every run:',
    optionHelp(RUN_OPTIONS),
    ...shown.flatMap((p) => ['', `${p.name}: ${p.summary}`, optionHelp(p.options)]),
  ].join('\n');
}

/** This process's rank and the number of ranks: flags first, then Slurm arrays, then Kubernetes Indexed Jobs. */
function rankOf(rankArg?: number, worldArg?: number): { rank: number; world: number } | undefined {
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

/** The most frequent reject reasons of a run, for a one-line message. */
function topReasons(counts: Record<string, { reasons: Record<string, number> }>): string {
  const all = Object.entries(counts).flatMap(([stage, c]) =>
    Object.entries(c.reasons).map(([reason, n]) => [`${stage}: ${reason}`, n] as const),
  );
  if (!all.length) return 'no input rows';
  return all
    .sort((a, b) => b[1] - a[1])
    .slice(0, 3)
    .map(([r, n]) => `${n} × ${r}`)
    .join(', ');
}

const shellWord = (s: string) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

/**
 * The command line that carries on an interrupted `structflow run argv`: the same one, as this process
 * was started (`structflow` from a bin link, else `node` and the script), less `--overwrite`, which would
 * now discard the units this run committed.
 */
export function resumeCommand(argv: string[], script = process.argv[1] ?? 'structflow'): string {
  const rel = relative(process.cwd(), script);
  const program =
    basename(script) === 'structflow'
      ? 'structflow'
      : `node ${shellWord(rel.startsWith('..') || isAbsolute(rel) ? script : rel)}`;
  const args = ['run', ...argv.filter((a) => a !== '--overwrite')];
  return [program, ...args.map(shellWord)].join(' ');
}

/**
 * What Ctrl-C during a run says before exiting 130: what is kept and the command that goes on from it,
 * for the alternative is a silent exit that leaves a user wondering whether the hours of work are lost.
 */
export function interruptedMessage(
  units: { reused: number; worked: number } | undefined,
  out: string,
  resume: string,
): string {
  const kept = units?.reused ?? 0;
  const now = units?.worked ?? 0;
  const committed =
    kept + now === 0
      ? `nothing committed yet in ${out}`
      : `${kept + now} unit(s) committed in ${out} (${kept} before this run, ${now} by it)`;
  return [
    `structflow: interrupted; ${committed}; the unit in flight is lost.`,
    `resume (committed units are reused): ${resume}`,
  ].join('\n');
}

/** A failure of the environment (`Fatal`) commits nothing of its unit: no --overwrite is needed to go on. */
function goesOnAfterFix(err: unknown): never {
  if (err instanceof Fatal)
    throw new Fatal(
      `${err.message}; the unit in flight was not committed: once that is fixed, the same command goes on`,
    );
  throw err;
}

/** The options `argv` can take: every run's and its pipeline's (a module's are known once it is loaded). */
export const options = (argv: string[]) => ({ ...RUN_OPTIONS, ...(PIPELINES[argv[0] ?? '']?.options ?? {}) });

/** What `runPipeline` takes: `input` and `out`, and any option of the run or the pipeline by flag name. */
export type RunValues<T extends OptionTable> = { input: string; out: string } & Partial<
  OptionValues<typeof RUN_OPTIONS & T>
>;

/** What `runPipeline` takes beside the option values. */
export interface RunPipelineOptions<G> {
  /** Objects the pipeline takes instead of what its options would build (a generator of the program's own). */
  given?: G;
  /** Called as units are committed: how many were reused from an earlier run and how many worked now. */
  onUnit?: (units: { reused: number; worked: number }) => void;
  /** Where the summary's lines go (default: stderr, or nowhere with `quiet`). */
  log?: (line: string) => void;
}

/**
 * Runs a pipeline on a dataset into `out` with everything `structflow run` gives: units committed as they
 * finish and reused by a run started again with the same settings, ranks (`rank`/`world`, or Slurm's and
 * Kubernetes' variables), rejects, Parquet shards, the manifest, the report, progress lines and the summary
 * on stderr (with `quiet`, nothing). Resolves to the manifest; throws when the run produced no rows, naming
 * the commonest reasons.
 *
 * @example
 * const m = await runPipeline(myPipeline, { input: 'apps.jsonl', out: 'out/mine', quiet: true });
 * console.log(m.rows, m.shards.map((s) => s.file));
 */
export async function runPipeline<T extends OptionTable, G>(
  pipeline: Pipeline<T, G>,
  values: RunValues<T>,
  opts: RunPipelineOptions<G> = {},
): Promise<Manifest> {
  const table = { ...RUN_OPTIONS, ...pipeline.options };
  const all = { ...parseOptions(table, ['--input', values.input, '--out', values.out]).values, ...values };
  const v = all as unknown as OptionValues<typeof RUN_OPTIONS>; // the run's own options, typed
  const { steps, final } = pipeline.steps(all as unknown as OptionValues<T>, opts.given);
  let p;
  try {
    p = plan(steps, final, v.until);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const until = v.until ?? p.names[p.names.length - 1]!;
  // what is missing is an error before the output folder exists: the input, a tool or a model a step needs
  await checkInputFiles(v.input, v['input-format']);
  await p.needs();
  const partition = rankOf(v.rank, v.world);
  const counted = v.quiet ? undefined : await countRows(v.input);
  const rows = counted === undefined || v.limit === undefined ? counted : Math.min(counted, v.limit);
  // with ranks, this rank reads the rows whose position is its rank modulo the world
  const total =
    rows === undefined || !partition ? rows : Math.ceil((rows - partition.rank) / partition.world);
  const m = await runToShards({
    ...(total !== undefined ? { total } : {}),
    pipeline: pipeline.name,
    until,
    ...(pipeline.report ? { report: pipeline.report } : {}),
    ...(pipeline.sidecars ? { sidecars: pipeline.sidecars } : {}),
    plan: p,
    units: (ctx) =>
      readProblemUnits(ctx, v.input, {
        unitSize: v['unit-size'],
        ...(v['input-format'] ? { format: v['input-format'] } : {}),
        ...(partition ? { partition } : {}),
        ...(v.limit !== undefined ? { limit: v.limit } : {}),
        ...(v['allow-partial-input'] ? { allowPartialInput: true } : {}),
      }),
    out: v.out,
    rowsPerShard: v['rows-per-shard'],
    engine: PARQUET_ENGINES[v['parquet-engine']]!,
    concurrency: v.concurrency,
    overwrite: v.overwrite,
    progress: !v.quiet,
    ...(opts.onUnit ? { onUnit: opts.onUnit } : {}),
    ...(opts.log || v.quiet ? { log: opts.log ?? (() => {}) } : {}),
    settings: {
      pipeline: pipeline.name,
      until,
      partition,
      ...recordSettings(table, all as never),
      // a local model retrained in place keeps its --model-dir: its files tell it apart
      ...(typeof all['model-dir'] === 'string' && existsSync(all['model-dir'])
        ? { model_files: folderStamp(all['model-dir']) }
        : {}),
    },
    config: {
      ...all,
      ...(partition ? { partition } : {}),
      ...(pipeline.module ? { pipeline_module: pipeline.module } : {}),
    },
  }).catch(goesOnAfterFix);
  if (m.rows === 0)
    throw new Error(`the run produced no rows: ${topReasons(m.counts)} (see ${v.out}/rejects.jsonl)`);
  return m;
}

export async function main(argv: string[]): Promise<void> {
  const [name, ...rest] = argv;
  const pipeline = await loadPipeline(name);
  const table = { ...RUN_OPTIONS, ...pipeline.options };
  const { values: v, positionals } = parseOptions(table, rest);
  if (positionals.length) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  let units: { reused: number; worked: number } | undefined;
  const interrupted = () => {
    const tty = process.stderr.isTTY === true;
    process.stderr.write(
      `${tty ? '\r\x1b[K' : ''}${interruptedMessage(units, v.out, resumeCommand(argv))}\n`,
    );
    process.exit(130);
  };
  process.once('SIGINT', interrupted);
  try {
    await runPipeline(pipeline, v as RunValues<OptionTable>, {
      onUnit: (u) => (units = { ...u }),
      log: commandLog,
    });
  } finally {
    process.off('SIGINT', interrupted);
  }
}
