import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { OperatorFunction } from 'rxjs';
import type { Column } from './arrow.ts';
import { addTally, RunContext } from './context.ts';
import { MANIFEST, makeManifest, readManifest, writeManifest, type Manifest } from './manifest.ts';
import { startProgress, summary } from './progress.ts';
import { PartStore } from './parts.ts';
import { pullThrough } from './pull.ts';
import { writeReport } from './report.ts';
import {
  clearShards,
  concatFiles,
  parquetWasm,
  writeShards,
  type ParquetEngine,
  type ShardOptions,
} from './shards.ts';

export const REJECTS_FILE = 'rejects.jsonl';

/**
 * What a pipeline declares for one stopping point: the composed per-record operator, an optional global
 * step over its whole output stream (such as the curriculum sort), and the output columns.
 */
export interface PipelineOutput<In, Out, Mid = Out> {
  op: OperatorFunction<In, Mid>;
  post?: (ctx: RunContext, records: AsyncIterable<Mid>) => AsyncIterable<Out>;
  columns: Column<Out>[];
  describe?: ShardOptions<Out>['describe'];
}

/** A slice of the input that the runner works on and commits as a whole (see `InputUnit`). */
export interface WorkUnit<In> {
  key: string;
  file: string;
  chunk: number;
  problems: () => AsyncIterable<In>;
  skip: () => Promise<void>;
}

export interface RunOptions<In, Out> {
  pipeline: string;
  until: string;
  /** The input in units, each worked on and committed as a whole. */
  units: (ctx: RunContext) => AsyncIterable<WorkUnit<In>>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the middle type is the pipeline's own business
  build: (ctx: RunContext) => PipelineOutput<In, Out, any>;
  out: string;
  rowsPerShard?: number;
  engine?: ParquetEngine;
  /** Source records (problems) in flight at once. */
  concurrency?: number;
  /** Discard the committed work of an earlier run in `out` made with other settings. */
  overwrite?: boolean;
  progress?: boolean;
  /** Written to the manifest. */
  config?: Record<string, unknown>;
  /**
   * What decides the output (default: pipeline, until and config). Committed units are reused only by a
   * run with the same settings; leave out what does not change a record (worker counts, cache folders).
   */
  settings?: unknown;
  log?: (line: string) => void;
}

export interface RunInfo {
  /** Input units in this run; reused ones were committed by an earlier run, worked ones by this one. */
  units: { total: number; reused: number; worked: number };
  /** Seconds of this process: working units, and the final step (global stage and shards). */
  seconds: { units: number; final: number };
  /** Stages of the final step (global ones such as the curriculum), which run again at every start. */
  finalStages: string[];
}

/**
 * Runs a pipeline from its source to sharded Parquet plus `manifest.json` and `rejects.jsonl` in `out`.
 *
 * The input is worked on one unit at a time; each unit's output, rejects and counts are committed
 * under `out/parts/` before the next starts. Started again with the same settings, a run skips the
 * units committed already, so a crash costs at most the unit in flight, and new input files cost only
 * their own units. The global step (the curriculum sort) and the shards are then made again from all
 * committed units, in input order: the output is the one a single uninterrupted run writes.
 */
export async function runToShards<In, Out>(opts: RunOptions<In, Out>): Promise<Manifest & { run: RunInfo }> {
  const log = opts.log ?? ((l: string) => process.stderr.write(l + '\n'));
  mkdirSync(opts.out, { recursive: true });
  const settings = opts.settings ?? { pipeline: opts.pipeline, until: opts.until, config: opts.config ?? {} };
  if (existsSync(join(opts.out, MANIFEST)) && readManifest(opts.out).config.merged_from && !opts.overwrite) {
    throw new Error(
      `${opts.out} holds the output of a merge; pass --overwrite to replace it, or choose another --out`,
    );
  }
  const store = PartStore.open(opts.out, settings, opts.overwrite);
  clearShards(opts.out); // the old manifest goes first: until the new one is written there is no finished run

  const ctx = new RunContext();
  const stop = opts.progress === false ? () => {} : startProgress(ctx);
  const info: RunInfo = {
    units: { total: 0, reused: 0, worked: 0 },
    seconds: { units: 0, final: 0 },
    finalStages: [],
  };
  try {
    const input = opts.units(ctx);
    const { op, post, columns, describe } = opts.build(ctx);
    const fields = columns.map((c) => c.name);
    const keys: string[] = [];
    const t0 = Date.now();
    let wall = 0;
    for await (const unit of input) {
      keys.push(unit.key);
      info.units.total++;
      const marker = store.done(unit.key);
      if (marker) {
        await unit.skip();
        ctx.absorb(marker.tally);
        wall += marker.tally.wall_ms;
        info.units.reused++;
        continue;
      }
      const before = ctx.tally();
      const started = Date.now();
      ctx.rejectsTo(store.pendingRejects(unit.key));
      const rows = await store.write(
        unit.key,
        pullThrough(unit.problems(), op, { concurrency: opts.concurrency ?? 1 }),
        fields,
      );
      ctx.rejectsTo(undefined);
      const tally = addTally(ctx.tally(), before, -1);
      tally.wall_ms = Date.now() - started;
      wall += tally.wall_ms;
      store.commit({ key: unit.key, file: unit.file, chunk: unit.chunk, rows, tally });
      info.units.worked++;
    }
    info.seconds.units = (Date.now() - t0) / 1000;

    const t1 = Date.now();
    const unitStages = new Set(ctx.stages.keys());
    const rejectsPath = join(opts.out, REJECTS_FILE);
    concatFiles(
      keys.map((k) => store.rejectsOf(k)).filter((p): p is string => !!p),
      rejectsPath,
    );
    ctx.rejectsTo(rejectsPath, true);
    async function* committed() {
      for (const k of keys) yield* store.records<unknown>(k);
    }
    const records = post ? post(ctx, committed()) : (committed() as AsyncIterable<Out>);
    const engine = opts.engine ?? parquetWasm;
    const shards = await writeShards(records, {
      dir: opts.out,
      columns,
      engine,
      ...(opts.rowsPerShard ? { rowsPerShard: opts.rowsPerShard } : {}),
      ...(describe ? { describe } : {}),
    });
    info.seconds.final = (Date.now() - t1) / 1000;
    info.finalStages = [...ctx.stages.keys()].filter((k) => !unitStages.has(k));
    stop();
    await ctx.dispose();
    const tally = { ...ctx.tally(), wall_ms: wall + (Date.now() - t1) };
    const manifest = makeManifest({
      pipeline: opts.pipeline,
      until: opts.until,
      engine: engine.name,
      columns,
      shards,
      counts: tally.counts,
      rejects: { file: REJECTS_FILE, rows: tally.rejects },
      config: opts.config ?? {},
    });
    writeReport(opts.out, manifest, tally, info);
    writeManifest(opts.out, manifest);
    log(summary(ctx));
    log(
      `units: ${info.units.total} (${info.units.reused} committed before, ${info.units.worked} worked now)`,
    );
    log(`${manifest.rows} rows in ${shards.length} shard(s) → ${opts.out}/${MANIFEST}`);
    const bad = ctx.unbalanced();
    if (bad.length)
      throw new Error(`records were lost in stage(s) ${bad.join(', ')}: in ≠ passed + rejected`);
    return { ...manifest, run: info };
  } finally {
    stop();
    await ctx.dispose();
  }
}
