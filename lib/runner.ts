import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { OperatorFunction } from 'rxjs';
import type { Column } from './arrow.ts';
import { RunContext } from './context.ts';
import { MANIFEST, writeManifest, type Manifest } from './manifest.ts';
import { startProgress, summary } from './progress.ts';
import { pullThrough } from './pull.ts';
import { clearShards, parquetWasm, writeShards, type ParquetEngine, type ShardOptions } from './shards.ts';

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

export interface RunOptions<In, Out> {
  pipeline: string;
  until: string;
  source: (ctx: RunContext) => AsyncIterable<In>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the middle type is the pipeline's own business
  build: (ctx: RunContext) => PipelineOutput<In, Out, any>;
  out: string;
  rowsPerShard?: number;
  engine?: ParquetEngine;
  /** Source records (problems) in flight at once. */
  concurrency?: number;
  /** Replace the shards of an earlier run in `out`. Without it a finished output folder is an error. */
  overwrite?: boolean;
  progress?: boolean;
  config?: Record<string, unknown>;
  log?: (line: string) => void;
}

/** Runs a pipeline from its source to sharded Parquet plus `manifest.json` and `rejects.jsonl` in `out`. */
export async function runToShards<In, Out>(opts: RunOptions<In, Out>): Promise<Manifest> {
  const log = opts.log ?? ((l: string) => process.stderr.write(l + '\n'));
  if (existsSync(join(opts.out, MANIFEST)) && !opts.overwrite) {
    throw new Error(`${opts.out} already holds a finished run (${MANIFEST}); pass --overwrite to replace it`);
  }
  if (existsSync(opts.out) && readdirSync(opts.out).length > 0) clearShards(opts.out);
  mkdirSync(opts.out, { recursive: true });

  const ctx = new RunContext(join(opts.out, REJECTS_FILE));
  const stop = opts.progress === false ? () => {} : startProgress(ctx);
  try {
    const source = opts.source(ctx);
    const { op, post, columns, describe } = opts.build(ctx);
    const engine = opts.engine ?? parquetWasm;
    const staged = pullThrough(source, op, { concurrency: opts.concurrency ?? 1 });
    const records = post ? post(ctx, staged) : (staged as AsyncIterable<Out>);
    const shards = await writeShards(records, {
      dir: opts.out,
      columns,
      engine,
      ...(opts.rowsPerShard ? { rowsPerShard: opts.rowsPerShard } : {}),
      ...(describe ? { describe } : {}),
    });
    stop();
    await ctx.dispose();
    const counts = ctx.snapshot();
    const manifest: Manifest = {
      format: 'structflow-manifest',
      version: 1,
      pipeline: opts.pipeline,
      until: opts.until,
      created_at: new Date().toISOString(),
      engine: engine.name,
      rows: shards.reduce((n, s) => n + s.rows, 0),
      schema: columns.map((c) => ({ name: c.name, type: c.type, nullable: !!c.nullable })),
      shards,
      counts,
      rejects: { file: REJECTS_FILE, rows: ctx.rejectsWritten },
      config: opts.config ?? {},
    };
    writeManifest(opts.out, manifest);
    log(summary(ctx));
    log(`${manifest.rows} rows in ${shards.length} shard(s) → ${opts.out}/${MANIFEST}`);
    const bad = ctx.unbalanced();
    if (bad.length)
      throw new Error(`records were lost in stage(s) ${bad.join(', ')}: in ≠ passed + rejected`);
    return manifest;
  } finally {
    stop();
    await ctx.dispose();
  }
}
