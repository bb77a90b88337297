// Parquet sink throughput: parquet-wasm (ZSTD, default) against parquetjs-lite (GZIP), same target-like rows, one run.
// Usage: npx tsx bench/parquet.ts [--rows N]
import { rmSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Column } from '../lib/arrow.ts';
import { parquetLite, parquetWasm, writeShards, type ParquetEngine } from '../lib/shards.ts';
import { argNumber, report, seconds } from './common.ts';

interface Row {
  problem_id: string;
  solution_index: number;
  kind: string;
  depth: number;
  question: string;
  prefix: string;
  middle: string;
  suffix: string;
}
const COLUMNS: Column<Row>[] = [
  { name: 'problem_id', type: 'string' },
  { name: 'solution_index', type: 'int32' },
  { name: 'kind', type: 'string' },
  { name: 'depth', type: 'int32' },
  { name: 'question', type: 'string' },
  { name: 'prefix', type: 'string' },
  { name: 'middle', type: 'string' },
  { name: 'suffix', type: 'string' },
];

const N = argNumber('rows', 40_000);
// like FIM targets: a question shared by the targets of a problem, code around a block
function* rows(): Generator<Row> {
  for (let i = 0; i < N; i++) {
    const p = Math.floor(i / 20);
    yield {
      problem_id: `p${p}`,
      solution_index: i % 5,
      kind: 'fim',
      depth: 1 + (i % 3),
      question: `Problem ${p}: ` + 'read n numbers and print their sum. '.repeat(20),
      prefix: `import sys\nn = int(input())\nxs = [int(x) for x in input().split()]\n`.repeat(1 + (i % 4)),
      middle: `for x in xs:\n    if x % ${i % 7} == 0:\n        total += x`,
      suffix: `\nprint(total + ${i})\n`,
    };
  }
}

async function time(engine: ParquetEngine) {
  const dir = mkdtempSync(join(tmpdir(), 'sf-pq-'));
  const t0 = process.hrtime.bigint();
  const shards = await writeShards(
    (async function* () {
      yield* rows();
    })(),
    { dir, columns: COLUMNS, rowsPerShard: 10_000, engine },
  );
  const secs = seconds(t0);
  const bytes = shards.reduce((n, s) => n + s.bytes, 0);
  rmSync(dir, { recursive: true });
  console.log(`${engine.name}: ${secs.toFixed(2)}s, ${(bytes / 2 ** 20).toFixed(1)} MiB`);
  return { secs, bytes };
}

const lite = await time(parquetLite);
const wasm = await time(parquetWasm);
report({
  bench: 'parquet',
  unit: 'rows',
  rows: N,
  ours_per_s: N / wasm.secs,
  baseline: 'parquetjs-lite (GZIP)',
  baseline_per_s: N / lite.secs,
  ours_bytes: wasm.bytes,
  baseline_bytes: lite.bytes,
});
