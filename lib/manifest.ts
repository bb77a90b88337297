import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ColumnType } from './arrow.ts';
import type { StageCounters } from './context.ts';
import type { ShardInfo } from './shards.ts';
import { atomicWrite } from './shards.ts';

/** `manifest.json` of an output folder (SPEC §6). */
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

export function writeManifest(dir: string, m: Manifest): void {
  atomicWrite(join(dir, MANIFEST), JSON.stringify(m, null, 2) + '\n');
}

export function readManifest(dir: string): Manifest {
  const m = JSON.parse(readFileSync(join(dir, MANIFEST), 'utf8')) as Manifest;
  if (m.format !== 'structflow-manifest') throw new Error(`${dir}/${MANIFEST} is not a StructFlow manifest`);
  return m;
}
