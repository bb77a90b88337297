import { createHash } from 'node:crypto';
import {
  appendFileSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { RecordBatch, Table, tableToIPC } from 'apache-arrow';
import type * as PW from 'parquet-wasm/node';
import type Lite from 'parquetjs-lite';
import { lazy } from './lazy.ts';
import { BatchBuilder, type Column, type ColumnType } from './arrow.ts';

const wasm = lazy<typeof PW>('parquet-wasm/node');
const lite = lazy<typeof Lite>('parquetjs-lite');

/** Writes one Arrow table as one Parquet file. */
export interface ParquetEngine {
  name: string;
  /** Writes `rows` of `columns` to `path` as one Parquet file. */
  write(table: Table, path: string, columns: Column<unknown>[]): Promise<void>;
}

/**
 * parquet-wasm (Rust's parquet crate in WebAssembly) writes a whole Arrow table at once with ZSTD.
 * The default: see bench/parquet.ts for the figures against parquetjs-lite.
 */
export const parquetWasm: ParquetEngine = {
  name: 'parquet-wasm',
  async write(table, path) {
    const wasmTable = wasm().Table.fromIPCStream(tableToIPC(table, 'stream'));
    const props = new (wasm().WriterPropertiesBuilder)()
      .setCompression(wasm().Compression.ZSTD)
      .setMaxRowGroupSize(table.numRows > 0 ? Math.min(table.numRows, 65536) : 1)
      .setCreatedBy('structflow')
      .build();
    writeFileSync(path, wasm().writeParquet(wasmTable, props));
  },
};

const LITE_TYPES: Record<Exclude<ColumnType, 'messages'>, string> = {
  string: 'UTF8',
  json: 'UTF8',
  int32: 'INT32',
  float64: 'DOUBLE',
  bool: 'BOOLEAN',
  int32_list: 'INT32',
};

/** parquetjs-lite: pure JavaScript, row at a time, GZIP. Kept as an option and as the bench baseline. */
export const parquetLite: ParquetEngine = {
  name: 'parquetjs-lite',
  async write(table, path, columns) {
    const nested = columns.find((c) => c.type === 'messages');
    if (nested)
      throw new Error(
        `parquetjs-lite cannot write the message lists of column ${nested.name}; use --parquet-engine parquet-wasm`,
      );
    const schema = new (lite().ParquetSchema)(
      Object.fromEntries(
        columns.map((c) => [
          c.name,
          {
            type: LITE_TYPES[c.type as Exclude<ColumnType, 'messages'>],
            compression: 'GZIP',
            optional: !!c.nullable,
            repeated: c.type === 'int32_list',
          },
        ]),
      ),
    );
    const writer = await lite().ParquetWriter.openFile(schema, path);
    writer.setRowGroupSize(Math.max(1, table.numRows));
    for (const row of table) {
      const obj: Record<string, unknown> = {};
      for (const c of columns) {
        const v = row?.[c.name];
        obj[c.name] = c.type === 'int32_list' && v ? Array.from(v as Iterable<number>) : v;
      }
      await writer.appendRow(obj);
    }
    await writer.close();
  },
};

/** The Parquet writers by `--parquet-engine` name. */
export const PARQUET_ENGINES: Record<string, ParquetEngine> = {
  'parquet-wasm': parquetWasm,
  'parquetjs-lite': parquetLite,
};

/** One written shard, as the manifest lists it. */
export interface ShardInfo {
  file: string;
  rows: number;
  bytes: number;
  sha256: string;
  [extra: string]: unknown;
}

/** Where shards go and what they hold: the folder, the columns, rows per shard, the writer. */
export interface ShardOptions<R> {
  dir: string;
  columns: Column<R>[];
  /** Rows per Parquet file. Default 10,000. */
  rowsPerShard?: number;
  engine?: ParquetEngine;
  /** Extra facts about a shard's rows for its manifest entry (e.g. the curriculum key range). */
  describe?: (rows: R[]) => Record<string, unknown>;
}

export const DEFAULT_ROWS_PER_SHARD = 10_000;

/** Write `bytes`-producing work to a temporary name, then rename: readers never see half a file. */
export function atomicWrite(path: string, data: string | Uint8Array): void {
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

/** Writes the files `from`, one after the other, to `to` (atomically). */
export function concatFiles(from: string[], to: string): void {
  const tmp = `${to}.tmp`;
  writeFileSync(tmp, '');
  for (const f of from) appendFileSync(tmp, readFileSync(f));
  renameSync(tmp, to);
}

export function sha256File(path: string): { sha256: string; bytes: number } {
  const buf = readFileSync(path);
  return { sha256: createHash('sha256').update(buf).digest('hex'), bytes: buf.length };
}

export const shardName = (i: number) => `part-${String(i).padStart(5, '0')}.parquet`;

/**
 * The sharded Parquet sink: records → Arrow record batches → `part-00000.parquet`, … in `dir`.
 * Each shard is written under a temporary name and renamed when complete.
 * Returns the shard list for the manifest.
 */
export async function writeShards<R>(source: AsyncIterable<R>, opts: ShardOptions<R>): Promise<ShardInfo[]> {
  const rowsPerShard = opts.rowsPerShard ?? DEFAULT_ROWS_PER_SHARD;
  if (!(rowsPerShard >= 1)) throw new Error(`rows per shard must be at least 1, got ${rowsPerShard}`);
  const engine = opts.engine ?? parquetWasm;
  mkdirSync(opts.dir, { recursive: true });
  const builder = new BatchBuilder(opts.columns, Math.min(4096, rowsPerShard));
  const shards: ShardInfo[] = [];
  let batches: RecordBatch[] = [];
  let rows: R[] = [];
  let pending = 0;

  const flushShard = async () => {
    const last = builder.flush();
    if (last) batches.push(last);
    if (pending === 0) return;
    const file = shardName(shards.length);
    const path = join(opts.dir, file);
    await engine.write(new Table(batches), `${path}.tmp`, opts.columns as Column<unknown>[]);
    renameSync(`${path}.tmp`, path);
    shards.push({ file, rows: pending, ...sha256File(path), ...(opts.describe ? opts.describe(rows) : {}) });
    batches = [];
    rows = [];
    pending = 0;
  };

  for await (const r of source) {
    const batch = builder.add(r);
    if (batch) batches.push(batch);
    if (opts.describe) rows.push(r);
    if (++pending >= rowsPerShard) await flushShard();
  }
  await flushShard();
  return shards;
}

/** Remove the shards and manifest of an earlier run in `dir` (other files are left alone). */
export function clearShards(dir: string): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const n of names) {
    if (/^part-\d+\.parquet(\.tmp)?$/.test(n) || /^manifest\.json(\.tmp)?$/.test(n)) rmSync(join(dir, n));
  }
}
