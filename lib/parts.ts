import { parseJson, stringifyJson } from './json.ts';
import { createHash } from 'node:crypto';
import {
  createWriteStream,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
} from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import type { Tally } from './context.ts';
import { readLines } from './lines.ts';
import { atomicWrite } from './shards.ts';
import { unitKey } from './units.ts';

export const PARTS_DIR = 'parts';
export const RUN_FILE = 'run.json';

/** The completion marker of one input unit: written last, so a unit without one was never committed. */
export interface UnitMarker {
  key: string;
  file: string;
  chunk: number;
  rows: number;
  tally: Tally;
}

/**
 * The committed work of a run, one input unit at a time, under `DIR/parts/`: the unit's output records
 * (`KEY.jsonl.gz`), its rejects (`KEY.rejects.jsonl`) and, last, its marker (`KEY.done.json`) with its
 * counts. Everything is written under a temporary name and renamed, so a run killed at any moment
 * leaves either a whole unit or nothing of it. `run.json` holds the settings the parts were made with;
 * parts made with other settings are never mixed in.
 */
export class PartStore {
  readonly dir: string;
  /** The extents committed at each unit start, from the markers' names (`unitKey`: START-ROWS). */
  private readonly extents = new Map<string, number[]>();

  private constructor(out: string) {
    this.dir = join(out, PARTS_DIR);
  }

  /**
   * Opens (or starts) the store of the run in `out`. With `settings` other than those of the parts
   * already there, it is an error unless `discard` is set, which deletes them.
   */
  static open(out: string, settings: unknown, discard = false): PartStore {
    const store = new PartStore(out);
    const runFile = join(store.dir, RUN_FILE);
    const wanted = JSON.stringify(settings);
    if (existsSync(runFile)) {
      const had = JSON.stringify(
        (JSON.parse(readFileSync(runFile, 'utf8')) as { settings: unknown }).settings,
      );
      if (had !== wanted && !discard) {
        throw new Error(
          `${out} holds parts of a run with other settings (${diffKeys(had, wanted)}); ` +
            `pass --overwrite to discard them, or choose another --out`,
        );
      }
    }
    if (discard) rmSync(store.dir, { recursive: true, force: true });
    mkdirSync(store.dir, { recursive: true });
    const digest = createHash('sha256').update(wanted).digest('hex');
    atomicWrite(runFile, JSON.stringify({ settings, sha256: digest }, null, 2) + '\n');
    for (const name of readdirSync(store.dir)) {
      const m = /^(.+)-(\d+)\.done\.json$/.exec(name);
      if (m) store.extents.set(m[1]!, [...(store.extents.get(m[1]!) ?? []), Number(m[2])]);
    }
    return store;
  }

  private path(key: string, suffix: string): string {
    return join(this.dir, key + suffix);
  }

  /** The marker of a committed unit, or undefined. */
  done(key: string): UnitMarker | undefined {
    const p = this.path(key, '.done.json');
    return existsSync(p) ? (JSON.parse(readFileSync(p, 'utf8')) as UnitMarker) : undefined;
  }

  /**
   * The key of the committed unit at `start` with the most rows up to `rows`: the unit itself, or a
   * shorter one that an earlier run's --limit cut off there, which holds the same first rows.
   */
  reusable(start: string, rows: number): { key: string; rows: number } | undefined {
    const fits = (this.extents.get(start) ?? []).filter((n) => n <= rows);
    if (!fits.length) return undefined;
    const most = Math.max(...fits);
    return { key: unitKey(start, most), rows: most };
  }

  /** Where a unit's rejects go while it runs (renamed into place by `commit`). */
  pendingRejects(key: string): string {
    return this.path(key, '.rejects.jsonl.tmp');
  }

  /** Writes a unit's records (only the `fields` named) to its pending file; returns how many. */
  async write(key: string, records: AsyncIterable<unknown>, fields: string[]): Promise<number> {
    let rows = 0;
    async function* lines() {
      for await (const r of records) {
        const rec = r as Record<string, unknown>;
        rows++;
        yield stringifyJson(Object.fromEntries(fields.map((f) => [f, rec[f]]))) + '\n';
      }
    }
    await pipeline(
      Readable.from(lines()),
      createGzip({ level: 1 }),
      createWriteStream(this.path(key, '.jsonl.gz.tmp')),
    );
    return rows;
  }

  /** Makes a unit's pending records and rejects final, then writes its marker. */
  commit(marker: UnitMarker): void {
    const { key } = marker;
    renameSync(this.path(key, '.jsonl.gz.tmp'), this.path(key, '.jsonl.gz'));
    if (existsSync(this.pendingRejects(key)))
      renameSync(this.pendingRejects(key), this.path(key, '.rejects.jsonl'));
    atomicWrite(this.path(key, '.done.json'), JSON.stringify(marker) + '\n');
  }

  /** A committed unit's records, in their order. */
  async *records<T>(key: string): AsyncGenerator<T> {
    for await (const line of readLines(this.path(key, '.jsonl.gz'))) if (line) yield parseJson(line) as T;
  }

  /** A committed unit's rejects file, if it has any. */
  rejectsOf(key: string): string | undefined {
    const p = this.path(key, '.rejects.jsonl');
    return existsSync(p) ? p : undefined;
  }
}

/** The top-level settings that differ between two JSON texts, for the error message. */
export function diffKeys(a: string, b: string): string {
  const x = JSON.parse(a) as Record<string, unknown>;
  const y = JSON.parse(b) as Record<string, unknown>;
  const keys = [...new Set([...Object.keys(x), ...Object.keys(y)])].filter(
    (k) => JSON.stringify(x[k]) !== JSON.stringify(y[k]),
  );
  return keys.length ? `differ in ${keys.join(', ')}` : 'differ';
}
