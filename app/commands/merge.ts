import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { addTally, emptyTally, RunContext, type Tally } from '../../lib/context.ts';
import { readManifest, shardRows, type Manifest } from '../../lib/manifest.ts';
import { parseOptions, type OptionTable } from '../../lib/options.ts';
import { command } from '../command.ts';
import { plan } from '../../lib/pipeline.ts';
import { REPORT_JSON, type Report } from '../../lib/report.ts';
import { claimOutput, finish } from '../../lib/runner.ts';
import { clearShards, DEFAULT_ROWS_PER_SHARD } from '../../lib/shards.ts';
import { PIPELINES } from '../../pipelines/index.ts';
import { loadPipeline } from '../pipeline-module.ts';
import { CURRICULUM_OPTIONS } from '../../pipelines/options.ts';

export const MERGE_OPTIONS = {
  inputs: {
    type: 'string',
    required: true,
    arg: 'DIR1,DIR2,…',
    help: "the ranks' output folders (run with --until pair)",
  },
  out: {
    type: 'string',
    required: true,
    arg: 'DIR',
    help: 'output folder of the merged, curriculum-ordered shards',
  },
  ...CURRICULUM_OPTIONS,
  'rows-per-shard': { type: 'int', default: DEFAULT_ROWS_PER_SHARD, help: 'rows per Parquet file' },
} as const satisfies OptionTable;

type Row = { problem_index: number };

/** Rows of several ranks in the order of the whole input: by problem_index (each rank's rows are in that order). */
async function* byProblemIndex(streams: AsyncGenerator<Row>[]): AsyncGenerator<Row> {
  const heads = await Promise.all(streams.map((s) => s.next()));
  for (;;) {
    let best = -1;
    heads.forEach((h, i) => {
      if (!h.done && (best < 0 || h.value.problem_index < (heads[best]!.value as Row).problem_index))
        best = i;
    });
    if (best < 0) return;
    yield heads[best]!.value as Row;
    heads[best] = await streams[best]!.next();
  }
}

/** A rank's report, when it has one (runs made before reports existed have only a manifest). */
function readReportIfAny(dir: string): Report | undefined {
  const p = join(dir, REPORT_JSON);
  return existsSync(p) ? (JSON.parse(readFileSync(p, 'utf8')) as Report) : undefined;
}

const countsOnly = (m: Manifest): Tally => ({ ...emptyTally(), counts: m.counts, rejects: m.rejects.rows });

/** Settings of the merge's final step that may differ from the ranks' (the curriculum's copies, seed and run size). */
export interface MergeOptions {
  epochs?: number;
  seed?: number;
  rowsPerShard?: number;
  /** Pairs the curriculum sorts in memory before spilling a run. */
  runSize?: number;
}

/**
 * Combines the outputs of the ranks of a run (each made with `--until pair`) into one output: the
 * ranks' records are put back in input order and the pipeline's final step (the curriculum sort) runs
 * once over all of them, through the same finishing code as a run, so the result is the one a single
 * process would have written.
 */
export async function mergeRanks(inputs: string[], out: string, opts: MergeOptions = {}): Promise<Manifest> {
  const manifests = inputs.map((d) => readManifest(d));
  const first = manifests[0]!;
  // a pipeline module of the user's is loaded again from where the ranks loaded it
  const module = first.config.pipeline_module;
  const pipeline = typeof module === 'string' ? await loadPipeline(module) : PIPELINES[first.pipeline];
  if (!pipeline) throw new Error(`${inputs[0]} was made by an unknown pipeline "${first.pipeline}"`);
  const cfg = { ...parseOptions(pipeline.options, []).values, ...first.config } as Record<string, unknown>;
  if (opts.epochs !== undefined) cfg.epochs = opts.epochs;
  if (opts.seed !== undefined) cfg['curriculum-seed'] = opts.seed;
  if (opts.runSize !== undefined) cfg['sort-run-size'] = opts.runSize;
  const { steps, final } = pipeline.steps(cfg as never);
  const last = steps[steps.length - 1]!.name;
  for (const [i, m] of manifests.entries()) {
    if (m.pipeline !== first.pipeline)
      throw new Error(`${inputs[i]} was made by ${m.pipeline}, not ${first.pipeline}`);
    if (m.until !== last)
      throw new Error(`${inputs[i]} stops at "${m.until}"; run the ranks with --until ${last}`);
  }
  claimOutput(out);
  clearShards(out);
  mkdirSync(out, { recursive: true });
  const counted = emptyTally();
  const units = { total: 0, reused: 0, worked: 0 };
  for (const [i, m] of manifests.entries()) {
    const r = readReportIfAny(inputs[i]!);
    addTally(counted, r?.tally ?? countsOnly(m));
    if (r) for (const k of ['total', 'reused', 'worked'] as const) units[k] += r.units[k];
  }
  const ctx = new RunContext();
  ctx.workDir = out;
  try {
    return await finish(
      ctx,
      {
        pipeline: first.pipeline,
        ...(pipeline.report ? { report: pipeline.report } : {}),
        ...(pipeline.sidecars ? { sidecars: pipeline.sidecars } : {}),
        until: final?.name ?? last,
        out,
        ...(opts.rowsPerShard ? { rowsPerShard: opts.rowsPerShard } : {}),
        config: {
          ...first.config,
          merged_from: inputs,
          epochs: cfg.epochs,
          'curriculum-seed': cfg['curriculum-seed'] ?? cfg.seed,
        },
        log: () => {},
      },
      {
        plan: plan(steps, final),
        records: byProblemIndex(inputs.map((d, i) => shardRows<Row>(d, manifests[i]!))),
        rejects: inputs.map((d, i) => join(d, manifests[i]!.rejects.file)).filter((p) => existsSync(p)),
        info: { units, seconds: { units: 0, final: 0 }, finalStages: [] },
        wall_ms: 0,
        counted,
      },
    );
  } finally {
    await ctx.dispose();
  }
}

export const { USAGE, help, options, main } = command({
  usage: 'structflow merge --inputs DIR1,DIR2,… --out DIR [options]',
  options: MERGE_OPTIONS,
  run: async (v) => {
    const m = await mergeRanks(v.inputs.split(','), v.out, {
      epochs: v.epochs,
      ...(v['curriculum-seed'] !== undefined ? { seed: v['curriculum-seed'] } : {}),
      rowsPerShard: v['rows-per-shard'],
      runSize: v['sort-run-size'],
    });
    process.stderr.write(`${m.rows} rows in ${m.shards.length} shard(s) → ${v.out}/manifest.json\n`);
  },
});
