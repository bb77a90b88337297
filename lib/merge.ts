import { join } from 'node:path';
import { curriculum } from '../operators/curriculum.ts';
import { keyRange, ORDERED_COLUMNS } from '../pipelines/structurecoder.ts';
import { RunContext, type StageCounters } from './context.ts';
import { readManifest, writeManifest, type Manifest } from './manifest.ts';
import { clearShards, parquetWasm, writeShards } from './shards.ts';
import { isBadRow, readParquet } from './sources.ts';
import type { Pair } from './schemas.ts';

export interface MergeOptions {
  epochs?: number;
  seed?: number;
  rowsPerShard?: number;
  tmpDir?: string;
}

async function* rowsOf(dir: string, m: Manifest): AsyncGenerator<Pair> {
  for (const s of m.shards) {
    for await (const r of readParquet(join(dir, s.file))) {
      if (isBadRow(r)) throw new Error(`${r.where}: ${r.error}`);
      yield r.row as unknown as Pair;
    }
  }
}

/** Rows of several ranks in the order of the whole input: by problem_index (each rank's rows are in that order). */
async function* byProblemIndex(streams: AsyncGenerator<Pair>[]): AsyncGenerator<Pair> {
  const heads = await Promise.all(streams.map((s) => s.next()));
  for (;;) {
    let best = -1;
    heads.forEach((h, i) => {
      if (!h.done && (best < 0 || h.value.problem_index < (heads[best]!.value as Pair).problem_index))
        best = i;
    });
    if (best < 0) return;
    yield heads[best]!.value as Pair;
    heads[best] = await streams[best]!.next();
  }
}

/**
 * Combines the outputs of the ranks of a StructureCoder run (each made with `--until pair`) into one
 * curriculum-ordered output: the ranks' pairs are put back in input order and the global curriculum
 * sort runs once over all of them, so the result is the one a single process would have written.
 */
export async function mergeRanks(inputs: string[], out: string, opts: MergeOptions = {}): Promise<Manifest> {
  const manifests = inputs.map((d) => readManifest(d));
  for (const [i, m] of manifests.entries()) {
    if (m.until !== 'pair')
      throw new Error(`${inputs[i]} stops at "${m.until}"; run the ranks with --until pair`);
  }
  const ctx = new RunContext();
  const merged = byProblemIndex(inputs.map((d, i) => rowsOf(d, manifests[i]!)));
  const ordered = curriculum(ctx, merged, {
    epochs: opts.epochs ?? 3,
    seed: opts.seed ?? 0,
    ...(opts.tmpDir ? { tmpDir: opts.tmpDir } : {}),
  });
  clearShards(out);
  const shards = await writeShards(ordered, {
    dir: out,
    columns: ORDERED_COLUMNS,
    engine: parquetWasm,
    describe: keyRange,
    ...(opts.rowsPerShard ? { rowsPerShard: opts.rowsPerShard } : {}),
  });
  const counts: Record<string, StageCounters> = {};
  for (const m of manifests) {
    for (const [stage, c] of Object.entries(m.counts)) {
      const t = (counts[stage] ??= { in: 0, passed: 0, rejected: 0, out: 0, stats: {}, reasons: {} });
      t.in += c.in;
      t.passed += c.passed;
      t.rejected += c.rejected;
      t.out += c.out;
      for (const [k, v] of Object.entries(c.stats)) t.stats[k] = (t.stats[k] ?? 0) + v;
      for (const [k, v] of Object.entries(c.reasons)) t.reasons[k] = (t.reasons[k] ?? 0) + v;
    }
  }
  Object.assign(counts, ctx.snapshot());
  const manifest: Manifest = {
    ...manifests[0]!,
    until: 'curriculum',
    created_at: new Date().toISOString(),
    engine: parquetWasm.name,
    rows: shards.reduce((n, s) => n + s.rows, 0),
    schema: ORDERED_COLUMNS.map((c) => ({ name: c.name, type: c.type, nullable: !!c.nullable })),
    shards,
    counts,
    rejects: { file: '', rows: manifests.reduce((n, m) => n + m.rejects.rows, 0) },
    config: { ...manifests[0]!.config, merged_from: inputs, epochs: opts.epochs ?? 3, seed: opts.seed ?? 0 },
  };
  writeManifest(out, manifest);
  return manifest;
}
