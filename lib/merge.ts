import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { curriculum } from '../operators/curriculum.ts';
import { keyRange, ORDERED_COLUMNS } from '../pipelines/structurecoder.ts';
import { addTally, emptyTally, RunContext, type Tally } from './context.ts';
import { makeManifest, readManifest, writeManifest, type Manifest } from './manifest.ts';
import { REPORT_JSON, writeReport, type Report } from './report.ts';
import { REJECTS_FILE } from './runner.ts';
import { clearShards, concatFiles, parquetWasm, writeShards } from './shards.ts';
import { isBadRow, readParquet } from './sources.ts';
import type { Pair } from './schemas.ts';

export interface MergeOptions {
  epochs?: number;
  seed?: number;
  rowsPerShard?: number;
  tmpDir?: string;
  /** Pairs the curriculum sorts in memory before spilling a run (default 20,000). */
  runSize?: number;
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

/** A rank's report, when it has one (runs made before reports existed have only a manifest). */
function readReportIfAny(dir: string): Report | undefined {
  const p = join(dir, REPORT_JSON);
  return existsSync(p) ? (JSON.parse(readFileSync(p, 'utf8')) as Report) : undefined;
}

const countsOnly = (m: Manifest): Tally => ({ ...emptyTally(), counts: m.counts, rejects: m.rejects.rows });

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
  const t1 = Date.now();
  const ctx = new RunContext();
  const merged = byProblemIndex(inputs.map((d, i) => rowsOf(d, manifests[i]!)));
  const ordered = curriculum(ctx, merged, {
    epochs: opts.epochs ?? 3,
    seed: opts.seed ?? 0,
    ...(opts.tmpDir ? { tmpDir: opts.tmpDir } : {}),
    ...(opts.runSize ? { runSize: opts.runSize } : {}),
  });
  clearShards(out);
  mkdirSync(out, { recursive: true });
  const rejects = inputs.map((d, i) => join(d, manifests[i]!.rejects.file)).filter((p) => existsSync(p));
  concatFiles(rejects, join(out, REJECTS_FILE));
  const shards = await writeShards(ordered, {
    dir: out,
    columns: ORDERED_COLUMNS,
    engine: parquetWasm,
    describe: keyRange,
    ...(opts.rowsPerShard ? { rowsPerShard: opts.rowsPerShard } : {}),
  });
  const tally = emptyTally();
  const units = { total: 0, reused: 0, worked: 0 };
  for (const [i, m] of manifests.entries()) {
    const r = readReportIfAny(inputs[i]!);
    addTally(tally, r?.tally ?? countsOnly(m));
    if (r) for (const k of ['total', 'reused', 'worked'] as const) units[k] += r.units[k];
  }
  addTally(tally, ctx.tally());
  const manifest = makeManifest({
    pipeline: manifests[0]!.pipeline,
    until: 'curriculum',
    engine: parquetWasm.name,
    columns: ORDERED_COLUMNS,
    shards,
    counts: tally.counts,
    rejects: { file: REJECTS_FILE, rows: tally.rejects },
    config: { ...manifests[0]!.config, merged_from: inputs, epochs: opts.epochs ?? 3, seed: opts.seed ?? 0 },
  });
  writeReport(out, manifest, tally, {
    units,
    seconds: { units: 0, final: (Date.now() - t1) / 1000 },
    finalStages: [...ctx.stages.keys()],
  });
  writeManifest(out, manifest);
  return manifest;
}
