import { createHash } from 'node:crypto';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import type { z } from 'zod';
import type { RunContext, StageStats } from './context.ts';
import { describeZodError } from './records.ts';
import { fileBytes } from './decompress.ts';
import {
  damageMessage,
  isBadRow,
  notRowsReason,
  readRows,
  type DamagedAt,
  type RowOrError,
} from './sources.ts';

/**
 * One published dataset layout: how to recognise its rows and turn one into a record. A reader of
 * rows in files (JSON lines, JSON, Parquet, Arrow) has `detect`; a reader of a folder layout has `folder`.
 */
export interface Reader<R> {
  /** Its `--input-format` name. */
  name: string;
  /** Whether a row follows this layout, from its columns (tried in registration order). */
  detect?: (row: Record<string, unknown>) => boolean;
  /**
   * Fields a row must have (`a|b`: one of them); a row without one is rejected as `missing_field`, so a
   * record is never made from a row that lacks what its layout promises.
   */
  required?: string[];
  /** The rows of a folder in this layout. */
  folder?: (dir: string) => AsyncIterable<RowOrError>;
  /** One row → a record; what it throws is the reject's detail. */
  convert: (row: Record<string, unknown>) => R;
}

/** The reader's stage name in counters and rejects. */
export const READ_STAGE = 'read';

/** Rows per input unit unless told otherwise: the work that a crash can cost, and the grain of restarts. */
export const DEFAULT_UNIT_SIZE = 256;

/** How input rows become records in units: the readers, the record schema, the unit size, a rank's share, a limit. */
export interface UnitOptions<R> {
  /** The layouts the input may be in, in detection order. */
  readers: readonly Reader<R>[];
  /** What a converted row must satisfy. */
  schema: z.ZodType<R>;
  /** Its record with the row's position in the whole input (all ranks): the order a merge restores. */
  position: (record: R, index: number) => R;
  /** Force a layout (a reader's name) instead of detecting it from the path and the first row. */
  format?: string;
  /** Read only rows whose position in the whole input is `rank` modulo `world` (one rank of several). */
  partition?: { rank: number; world: number };
  /** Rows per unit (default DEFAULT_UNIT_SIZE). */
  unitSize?: number;
  /** Read only the first `limit` rows of the whole input (all ranks); the rest is never opened. */
  limit?: number;
  /**
   * Go on with the rows before the damage of a cut-off or corrupt compressed file, saying so on stderr;
   * without it, such a file stops the run before its unit is committed.
   */
  allowPartialInput?: boolean;
}

/**
 * A slice of the input that is worked on and committed as a whole: up to `rows` consecutive rows of one
 * input file (or folder). Its key names the file, the file's size and modification time, the slice's
 * place in it, its first input position and its extent, so a key seen before means the same rows.
 */
export interface InputUnit<R> {
  key: string;
  /** The key less the extent: units of the same start hold the same rows as far as the shorter goes. */
  start: string;
  /** Rows the unit takes at most: to the next multiple of the unit size in its file, or to the limit. */
  rows: number;
  file: string;
  chunk: number;
  /** Input position of the unit's first row. */
  first: number;
  /** The unit's records, read and counted once. */
  problems: () => AsyncGenerator<R>;
  /**
   * Pass the unit's rows by without converting or counting them (its work was committed before); with
   * `rows`, only that many (a shorter unit of the same start was committed), and the next unit starts after them.
   */
  skip: (rows?: number) => Promise<void>;
}

/** A unit's key: its start and its extent, so the units committed at one start are found by name. */
export const unitKey = (start: string, rows: number): string => `${start}-${rows}`;

const DATA_FILE = /\.(jsonl|json|jsonl\.gz|json\.gz|parquet|arrow|arrows|ipc|feather)$/i;

/**
 * The files of an input: a comma-separated list of paths; a folder holding data files (read in name
 * order, so new files named after the old ones extend a corpus); or one file or dataset folder.
 */
export function inputPaths(input: string): string[] {
  return input.split(',').flatMap((p) => {
    if (!existsSync(p)) throw new Error(`input not found: ${p}`);
    if (!statSync(p).isDirectory()) return [p];
    const files = readdirSync(p)
      .filter((f) => DATA_FILE.test(f))
      .sort();
    return files.length ? files.map((f) => join(p, f)) : [p];
  });
}

/** What --input takes, for the messages about a file it cannot read. */
const ACCEPTED = '.jsonl, .jsonl.gz, .json, .parquet or .arrow files, a folder of them, or an APPS folder';

/**
 * Stops, naming the file and what --input takes, where an input file cannot hold dataset rows
 * (README.md, a .parquet that is not Parquet): one clear error before the output folder exists instead
 * of a reject per line. Folders are their reader's to check (the APPS layout). With --input-format, the
 * first line of a .jsonl file is not checked: it may be a damaged row, one reject like any other, and
 * the layout needs no detecting from it.
 */
export async function checkInputFiles(input: string, format?: string): Promise<void> {
  for (const path of inputPaths(input)) {
    if (statSync(path).isDirectory()) continue;
    if (format && DATA_FILE.test(path) && !/\.parquet$/i.test(path)) continue;
    const why = await notRowsReason(path);
    if (why) throw new Error(`${path} is not a dataset file: ${why}; --input takes ${ACCEPTED}`);
  }
}

/**
 * Rows of an input, where that is cheap to know before reading them (Parquet metadata, newlines of JSON
 * lines, gzip ones decompressed on the way: gunzip outruns the pipeline by orders of magnitude); undefined
 * where it is not (JSON arrays, Arrow, folders), so progress shows no total.
 */
export async function countRows(input: string): Promise<number | undefined> {
  let total = 0;
  for (const path of inputPaths(input)) {
    if (statSync(path).isDirectory() || /\.(json|json\.gz|arrow|arrows|ipc|feather)$/i.test(path))
      return undefined;
    if (/\.parquet$/i.test(path)) {
      const { asyncBufferFromFile, parquetMetadataAsync } = await import('hyparquet');
      total += Number((await parquetMetadataAsync(await asyncBufferFromFile(path))).num_rows);
      continue;
    }
    let lines = 0;
    let last = 10;
    for await (const chunk of fileBytes(path)) {
      if (!Buffer.isBuffer(chunk)) return undefined; // a damaged gzip file: the run reads what it can and says so
      for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, i + 1)) lines++;
      last = chunk[chunk.length - 1] ?? last;
    }
    total += lines + (last === 10 ? 0 : 1);
  }
  return total;
}

/** Records of an input, in units (see `InputUnit`). Each unit must be read or skipped in turn. */
export function readUnits<R>(
  ctx: RunContext,
  input: string,
  opts: UnitOptions<R>,
): AsyncGenerator<InputUnit<R>> {
  ctx.counter(READ_STAGE); // the first stage of the run's summary, before any record is read
  if (opts.format && !opts.readers.some((r) => r.name === opts.format))
    throw new Error(`unknown input format "${opts.format}"; known: ${names(opts.readers)}`);
  return units(ctx, inputPaths(input), opts);
}

/** Records of an input, unit after unit. */
export async function* readAll<R>(ctx: RunContext, input: string, opts: UnitOptions<R>): AsyncGenerator<R> {
  for await (const unit of readUnits(ctx, input, opts)) yield* unit.problems();
}

const names = (readers: readonly Reader<unknown>[]) => readers.map((r) => r.name).join('|');

/** The reader of a folder, and its rows. */
function folderReader<R>(path: string, opts: UnitOptions<R>): Reader<R> {
  const named = opts.format ? opts.readers.find((r) => r.name === opts.format) : undefined;
  const reader = named ?? opts.readers.find((r) => r.folder);
  if (!reader?.folder) {
    const folders = opts.readers.filter((r) => r.folder).map((r) => r.name);
    throw new Error(`${path} is a folder; only --input-format ${folders.join('|')} reads folders`);
  }
  return reader;
}

async function* units<R>(
  ctx: RunContext,
  paths: string[],
  opts: UnitOptions<R>,
): AsyncGenerator<InputUnit<R>> {
  const size = opts.unitSize ?? DEFAULT_UNIT_SIZE;
  if (!Number.isInteger(size) || size < 1)
    throw new Error(`unit size must be a positive integer, got ${size}`);
  const ordinal = { next: 0 };
  const limit = opts.limit ?? Infinity;
  const stats = ctx.stage(READ_STAGE);
  for (const path of paths) {
    if (ordinal.next >= limit) break;
    const st = statSync(path);
    const isDir = st.isDirectory();
    const named = opts.format ? opts.readers.find((r) => r.name === opts.format) : undefined;
    if (named?.folder && !isDir) throw new Error(`--input-format ${named.name} needs a folder: ${path}`);
    const fixed = isDir ? folderReader(path, opts) : named;
    const it = (fixed?.folder ? fixed.folder(path) : readRows(path))[Symbol.asyncIterator]();
    const stamp = isDir ? folderStamp(path) : `${st.size}:${st.mtimeMs}`;
    const state: ConvertState<R> = { path, reader: fixed };
    let pending = await it.next();
    // units end at multiples of the unit size in their file, or at the limit: a run with a limit cuts
    // the last unit short, and a later run without it reuses that shorter unit and goes on from its end
    for (let chunk = 0, offset = 0; !pending.done && ordinal.next < limit; chunk++) {
      const rows = Math.min(size - (offset % size), limit - ordinal.next);
      let left = rows;
      async function* take(): AsyncGenerator<[number, RowOrError]> {
        while (left > 0 && !pending.done && ordinal.next < limit) {
          const row = pending.value;
          left--;
          offset++;
          pending = await it.next();
          yield [ordinal.next++, row];
        }
      }
      const first = ordinal.next;
      const start = createHash('sha256')
        .update(JSON.stringify([resolve(path), stamp, offset, first]))
        .digest('hex')
        .slice(0, 24);
      yield {
        key: unitKey(start, rows),
        start,
        rows,
        file: path,
        chunk,
        first,
        problems: async function* () {
          for await (const [index, row] of take()) {
            if (opts.partition && index % opts.partition.world !== opts.partition.rank) {
              // another rank's row; but the rows a damaged file lost are every rank's
              if (isBadRow(row) && row.damage) partialInput(row.damage, opts.allowPartialInput);
              continue;
            }
            const p = convert(stats, row, index, state, opts);
            if (p) yield p;
          }
        },
        skip: async (n?: number) => {
          if (n !== undefined) left = Math.min(left, n);
          for await (const _ of take());
        },
      };
      for await (const _ of take()); // rows the consumer left unread belong to this unit, not the next
    }
    if (!pending.done) await it.return?.(undefined); // stopped at the limit: let the reader close its file
  }
}

/** A folder changes when any file under it is added, removed or rewritten. */
export function folderStamp(root: string): string {
  const h = createHash('sha256');
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else {
        const st = statSync(p);
        h.update(`${relative(root, p)}:${st.size}:${st.mtimeMs}\n`);
      }
    }
  };
  walk(root);
  return h.digest('hex');
}

/**
 * A damaged input file stops the run unless partial input is allowed; then it is said on stderr, for a
 * reject among thousands is no way to learn that a download was cut short.
 */
function partialInput(damage: DamagedAt, allowed = false): void {
  const message = damageMessage(damage);
  if (!allowed)
    throw new Error(
      `${message}; fetch the file again, or pass --allow-partial-input to go on with the rows before the damage`,
    );
  process.stderr.write(`${process.stderr.isTTY ? '\r\x1b[K' : ''}structflow: warning: ${message}\n`);
}

interface ConvertState<R> {
  path: string;
  reader: Reader<R> | undefined;
}

/** One input row → a record, or a reject of the `read` stage with the row's position and the reason. */
function convert<R>(
  stats: StageStats,
  r: RowOrError,
  index: number,
  state: ConvertState<R>,
  opts: UnitOptions<R>,
): R | undefined {
  stats.counters.in++;
  if (isBadRow(r)) {
    if (r.damage) partialInput(r.damage, opts.allowPartialInput);
    stats.reject(r.where, r.damage ? 'damaged_file' : 'unreadable_row', r.error);
    return undefined;
  }
  state.reader ??= opts.readers.find((x) => x.detect?.(r.row));
  if (!state.reader) {
    throw new Error(
      `cannot tell the dataset layout of ${state.path} from its first row (columns: ${Object.keys(r.row).join(', ')}); ` +
        `name it with --input-format ${names(opts.readers)}`,
    );
  }
  const reader = state.reader;
  const missing = reader.required?.find((f) =>
    f.split('|').every((alt) => r.row[alt] === undefined || r.row[alt] === null),
  );
  if (missing) {
    const fields = reader.required!.join(', ');
    stats.reject(r.where, 'missing_field', `no "${missing}" (${reader.name} rows have ${fields})`);
    return undefined;
  }
  let record: R;
  try {
    record = reader.convert(r.row);
  } catch (err) {
    stats.reject(r.where, 'invalid_record', (err as Error).message);
    return undefined;
  }
  const check = opts.schema.safeParse(record);
  if (!check.success) {
    stats.reject(r.where, 'invalid_record', describeZodError(check.error));
    return undefined;
  }
  stats.counters.passed++;
  stats.counters.out++;
  return opts.position(record, index);
}
