import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { addTally, emptyTally, RunContext, type Tally } from './context.ts';
import { READ_STAGE } from './units.ts';
import { MANIFEST, makeManifest, readManifest, writeManifest, type Manifest } from './manifest.ts';
import { PARTS_DIR, PartStore, RUN_FILE } from './parts.ts';
import type { Plan } from './pipeline.ts';
import { startProgress, summary } from './progress.ts';
import { pullThrough } from './pull.ts';
import { writeReport, type ReportSpec, type RunInfo } from './report.ts';
import { describeStore, markStores, storesUsedSince } from './store.ts';
import { PairSample } from './report-pairs.ts';
import {
  atomicWrite,
  clearShards,
  concatFiles,
  parquetWasm,
  writeShards,
  type ParquetEngine,
} from './shards.ts';

export const REJECTS_FILE = 'rejects.jsonl';

const logToStderr = (line: string) => process.stderr.write(line + '\n');

/** A slice of the input that the runner works on and commits as a whole (see `InputUnit`). */
export interface WorkUnit<In> {
  key: string;
  /** With `rows`: a committed unit of this start and no more rows is reused in its place (`PartStore.reusable`). */
  start?: string;
  rows?: number;
  file: string;
  chunk: number;
  problems: () => AsyncIterable<In>;
  /** Passes the unit by, or only its first `rows` rows when a shorter committed unit stands in for it. */
  skip: (rows?: number) => Promise<void>;
}

/** How a run's output is written: shared by runs and merges. */
export interface OutputOptions {
  pipeline: string;
  until: string;
  out: string;
  rowsPerShard?: number;
  engine?: ParquetEngine;
  /** Written to the manifest. */
  config?: Record<string, unknown>;
  /** What the report shows beyond the stage table (the pipeline's `report`). */
  report?: ReportSpec;
  /** Files beside the manifest for other tools (the pipeline's `sidecars`). */
  sidecars?: (m: Manifest) => Record<string, string>;
  log?: (line: string) => void;
}

export interface RunOptions<In> extends OutputOptions {
  /** The input in units, each worked on and committed as a whole. */
  units: (ctx: RunContext) => AsyncIterable<WorkUnit<In>>;
  /** The pipeline's steps up to where this run stops (`plan()`). */
  plan: Plan;
  /** Source records (problems) in flight at once. */
  concurrency?: number;
  /** Input rows the run will read, where known (progress shows the share and the time left). */
  total?: number;
  /** Discard the committed work of an earlier run in `out` made with other settings. */
  overwrite?: boolean;
  progress?: boolean;
  /** Told after each unit is committed or found committed (what an interrupted run can say it kept). */
  onUnit?: (units: RunInfo['units']) => void;
  /**
   * What decides the committed records: a run reuses committed units only when these are the same.
   * Leave out what does not change a record (worker counts, cache folders, the final step's settings).
   */
  settings: unknown;
}

export type { RunInfo };

/** What a folder that StructFlow wrote holds: a finished run or merge, a run's parts, `structflow slurm`'s scripts. */
const OWN = [MANIFEST, join(PARTS_DIR, RUN_FILE), 'slurm'];

/**
 * Stops before anything is written where `out` is a folder of someone else's: not empty, and none of
 * StructFlow's own files in it (`own`: a run's by default; the trainer names its own). A run replaces `rejects.jsonl`, `part-*.parquet` and `report.html`
 * wherever it writes, and --out is easily given a folder that holds such files of other work.
 */
export function claimOutput(out: string, own: string[] = OWN): void {
  if (existsSync(out) && !statSync(out).isDirectory())
    throw new Error(`${out} is a file, not a folder; --out takes a new or empty folder, or one a run wrote`);
  const names = existsSync(out) ? readdirSync(out) : [];
  if (!names.length || own.some((f) => existsSync(join(out, f)))) return;
  const shown = names.slice(0, 3).join(', ') + (names.length > 3 ? ', …' : '');
  throw new Error(
    `${out} is not empty (${shown}) and holds no StructFlow output; --out takes a new or empty folder, or one a run wrote`,
  );
}

/**
 * Runs a pipeline from its source to sharded Parquet plus `manifest.json` and `rejects.jsonl` in `out`.
 *
 * The input is worked on one unit at a time; each unit's output, rejects and counts are committed
 * under `out/parts/` before the next starts. Started again with the same settings, a run skips the
 * units committed already, so a crash costs at most the unit in flight, and new input files cost only
 * their own units. The final step (the curriculum sort) and the shards are then made again from all
 * committed units, in input order: the output is the one a single uninterrupted run writes.
 */
export async function runToShards<In>(opts: RunOptions<In>): Promise<Manifest & { run: RunInfo }> {
  claimOutput(opts.out);
  mkdirSync(opts.out, { recursive: true });
  if (existsSync(join(opts.out, MANIFEST)) && readManifest(opts.out).config.merged_from && !opts.overwrite) {
    throw new Error(
      `${opts.out} holds the output of a merge; pass --overwrite to replace it, or choose another --out`,
    );
  }
  const store = PartStore.open(opts.out, opts.settings, opts.overwrite);
  clearShards(opts.out); // the old manifest goes first: until the new one is written there is no finished run

  const ctx = new RunContext();
  const stores = markStores();
  ctx.workDir = opts.out;
  ctx.total = opts.total;
  const stop = opts.progress === false ? () => {} : startProgress(ctx);
  const info: RunInfo = {
    units: { total: 0, reused: 0, worked: 0 },
    seconds: { units: 0, final: 0 },
    finalStages: [],
  };
  try {
    const input = opts.units(ctx);
    const op = opts.plan.op(ctx);
    const fields = opts.plan.columns.map((c) => c.name);
    const keys: string[] = [];
    const t0 = Date.now();
    let wall = 0;
    for await (const unit of input) {
      info.units.total++;
      const reuse: { key: string; rows?: number } | undefined =
        unit.start !== undefined && unit.rows !== undefined
          ? store.reusable(unit.start, unit.rows)
          : { key: unit.key };
      const marker = reuse && store.done(reuse.key);
      keys.push(marker ? reuse.key : unit.key);
      if (marker) {
        await unit.skip(reuse.rows);
        ctx.absorb(marker.tally);
        ctx.reused += marker.tally.counts[READ_STAGE]?.passed ?? 0;
        wall += marker.tally.wall_ms;
        info.units.reused++;
        opts.onUnit?.(info.units);
        continue;
      }
      const before = ctx.tally();
      const started = Date.now();
      ctx.rejectsTo(store.pendingRejects(unit.key));
      const rows = await store.write(
        unit.key,
        pullThrough(unit.problems(), op, {
          concurrency: opts.concurrency ?? 1,
          onDone: () => ctx.finished++,
        }),
        fields,
      );
      ctx.rejectsTo(undefined);
      const tally = addTally(ctx.tally(), before, -1);
      tally.wall_ms = Date.now() - started;
      wall += tally.wall_ms;
      store.commit({ key: unit.key, file: unit.file, chunk: unit.chunk, rows, tally });
      info.units.worked++;
      opts.onUnit?.(info.units);
    }
    info.seconds.units = (Date.now() - t0) / 1000;
    info.stores = storesUsedSince(stores);
    async function* committed() {
      for (const k of keys) yield* store.records<unknown>(k);
    }
    const rejects = keys.map((k) => store.rejectsOf(k)).filter((p): p is string => !!p);
    const log = opts.log ?? logToStderr;
    // the summary starts on a line of its own, not after the last progress line
    const logAfterProgress = (line: string) => {
      stop();
      log(line);
    };
    const manifest = await finish(
      ctx,
      { ...opts, log: logAfterProgress },
      {
        plan: opts.plan,
        records: committed(),
        rejects,
        info,
        wall_ms: wall,
      },
    );
    stop();
    return { ...manifest, run: info };
  } finally {
    stop();
    await ctx.dispose();
  }
}

/** What `finish` works on: the committed records and rejects, and what the work so far counted. */
export interface FinishInput {
  plan: Pick<Plan, 'final' | 'columns'>;
  records: AsyncIterable<unknown>;
  /** Rejects files of the work, concatenated in this order. */
  rejects: string[];
  info: RunInfo;
  /** Wall-clock milliseconds of the work before the final step. */
  wall_ms: number;
  /** Counts made elsewhere (the ranks of a merge) that `ctx` has not seen. */
  counted?: Tally;
}

/**
 * The one finishing path of runs and merges: the rejects file, the final step over the records,
 * the shards, the manifest and the report, and the summary on the log.
 */
export async function finish(ctx: RunContext, opts: OutputOptions, w: FinishInput): Promise<Manifest> {
  const log = opts.log ?? logToStderr;
  const t1 = Date.now();
  const unitStages = new Set(ctx.stages.keys());
  const rejectsPath = join(opts.out, REJECTS_FILE);
  concatFiles(w.rejects, rejectsPath);
  ctx.rejectsTo(rejectsPath, true);
  const final = w.plan.final;
  const finalRows = final ? final.run(ctx, w.records) : w.records;
  const browse = opts.report?.browse;
  const names = new Set(w.plan.columns.map((c) => c.name));
  const sample = browse && browse.needs.every((n) => names.has(n)) ? new PairSample(browse) : undefined;
  const records = sample ? sample.tap(finalRows) : finalRows;
  const engine = opts.engine ?? parquetWasm;
  const shards = await writeShards(records, {
    dir: opts.out,
    columns: w.plan.columns,
    engine,
    ...(opts.rowsPerShard ? { rowsPerShard: opts.rowsPerShard } : {}),
    ...(final?.describe ? { describe: final.describe as (rows: unknown[]) => Record<string, unknown> } : {}),
  });
  w.info.seconds.final = (Date.now() - t1) / 1000;
  w.info.finalStages = [...ctx.stages.keys()].filter((k) => !unitStages.has(k));
  await ctx.dispose();
  const tally = addTally(
    { ...ctx.tally(), wall_ms: w.wall_ms + (Date.now() - t1) },
    w.counted ?? emptyTally(),
  );
  const manifest = makeManifest({
    pipeline: opts.pipeline,
    until: opts.until,
    engine: engine.name,
    columns: w.plan.columns,
    shards,
    counts: tally.counts,
    rejects: { file: REJECTS_FILE, rows: tally.rejects },
    config: opts.config ?? {},
  });
  writeReport(opts.out, manifest, tally, w.info, opts.report, sample);
  for (const [file, text] of Object.entries(opts.sidecars?.(manifest) ?? {}))
    atomicWrite(join(opts.out, file), text);
  writeManifest(opts.out, manifest);
  log(summary(ctx));
  log(
    `units: ${w.info.units.total} (${w.info.units.reused} committed before, ${w.info.units.worked} worked now)`,
  );
  for (const s of w.info.stores ?? []) describeStore(s).forEach((line, i) => log(i ? `  ${line}` : line));
  log(
    `${manifest.rows} rows in ${shards.length} shard(s) → ${opts.out}/${MANIFEST}; report: ${opts.out}/report.html`,
  );
  const bad = ctx.unbalanced();
  if (bad.length) throw new Error(`records were lost in stage(s) ${bad.join(', ')}: in ≠ passed + rejected`);
  return manifest;
}
