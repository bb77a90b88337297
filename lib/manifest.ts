import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Column, ColumnType } from './arrow.ts';
import type { StageCounters } from './context.ts';
import type { ShardInfo } from './shards.ts';
import { atomicWrite } from './shards.ts';
import { isBadRow, readParquet } from './sources.ts';

/** `manifest.json` of an output folder (docs/scale.md, Output). */
export interface Manifest {
  format: 'structflow-manifest';
  version: 1;
  pipeline: string;
  until: string;
  created_at: string;
  engine: string;
  rows: number;
  schema: { name: string; type: ColumnType; nullable: boolean }[];
  shards: ShardInfo[];
  counts: Record<string, StageCounters>;
  rejects: { file: string; rows: number };
  config: Record<string, unknown>;
}

export const MANIFEST = 'manifest.json';

/** A manifest for shards just written: row total, schema and time are derived from what is given. */
export function makeManifest(m: {
  pipeline: string;
  until: string;
  engine: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- only names and types are read
  columns: Column<any>[];
  shards: ShardInfo[];
  counts: Record<string, StageCounters>;
  rejects: { file: string; rows: number };
  config: Record<string, unknown>;
}): Manifest {
  const { columns, ...rest } = m;
  return {
    format: 'structflow-manifest',
    version: 1,
    ...rest,
    created_at: new Date().toISOString(),
    rows: m.shards.reduce((n, s) => n + s.rows, 0),
    schema: columns.map((c) => ({ name: c.name, type: c.type, nullable: !!c.nullable })),
  };
}

export function writeManifest(dir: string, m: Manifest): void {
  atomicWrite(join(dir, MANIFEST), JSON.stringify(m, null, 2) + '\n');
}

/** The rows of an output folder's shards, in manifest order; a row that cannot be read is an error naming it. */
export async function* shardRows<R = Record<string, unknown>>(dir: string, m: Manifest): AsyncGenerator<R> {
  for (const s of m.shards) {
    for await (const r of readParquet(join(dir, s.file))) {
      if (isBadRow(r)) throw new Error(`${r.where}: ${r.error}`);
      yield r.row as R;
    }
  }
}

/** The manifest of an output folder; throws naming the folder when there is none. */
export function readManifest(dir: string): Manifest {
  const path = join(dir, MANIFEST);
  if (!existsSync(path))
    throw new Error(`${dir} has no ${MANIFEST}: not the output folder of a finished StructFlow run`);
  const m = JSON.parse(readFileSync(path, 'utf8')) as Manifest;
  if (m.format !== 'structflow-manifest') throw new Error(`${dir}/${MANIFEST} is not a StructFlow manifest`);
  return m;
}
