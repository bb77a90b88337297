import { parseJson } from './json.ts';
import { createReadStream } from 'node:fs';
import { RecordBatchReader } from 'apache-arrow';
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { fileBytes, firstBytes, type Damage } from './decompress.ts';

// hyparquet-compressors 1.1.2 throws on an empty LZ4_RAW block (the single token 0x00 that pyarrow writes
// for a page of nulls only); an empty page decompresses to nothing.
const codecs = {
  ...compressors,
  LZ4_RAW: (input: Uint8Array, length: number) =>
    length === 0 ? new Uint8Array(0) : compressors.LZ4_RAW!(input, length),
};

/** A raw row of an input file and where it came from, so errors can name it. */
export interface SourceRow {
  row: Record<string, unknown>;
  /** `file:line` for JSONL, `file#row` for Parquet and Arrow. */
  where: string;
}

/** A line that is not JSON: the reader reports it instead of stopping the run. */
export interface BadRow {
  where: string;
  error: string;
  /** Set where the file is damaged from here on: no row of it follows. */
  damage?: DamagedAt;
}

/** A row of a data file, or what made it unreadable (with its position). */
export type RowOrError = SourceRow | BadRow;

export function isBadRow(r: RowOrError): r is BadRow {
  return 'error' in r;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** UTF-8 text of some bytes, or undefined where they are not valid UTF-8 (never a silent U+FFFD). */
function decodeUtf8(bytes: Uint8Array): string | undefined {
  try {
    return utf8.decode(bytes);
  } catch {
    return undefined;
  }
}

/** A line cut by the damage of a compressed file, and what is known of the rows lost with it. */
export interface DamagedAt extends Damage {
  /** The damaged file, as the input named it. */
  file: string;
  /** The file's complete lines before the damage, all read. */
  kept: number;
}

/**
 * What a damaged input file costs, for stderr: the file, the lines kept, the rows lost (estimated where
 * bytes follow the damage, at the rate of the lines before it; unknowable where the file is cut short).
 */
export function damageMessage(d: DamagedAt): string {
  const from = `line ${d.kept + 1} and every row after it`;
  const lost = d.cut
    ? `${from} are lost (the file ends there: a cut download?)`
    : d.at < d.size
      ? `${from}, in the ${d.size - d.at} bytes left (about ${Math.round((d.kept / Math.max(d.at, 1)) * (d.size - d.at))} rows at the rate before), are lost`
      : `${from} are lost, and the file fails its checksum, so rows before it may be wrong too`;
  return `${d.file} is damaged within its first ${d.at} of ${d.size} bytes (${d.reason}): the ${d.kept} complete lines before the damage were read; ${lost}`;
}

/**
 * The lines of a file as bytes, decompressed when it is gzip. A gzip stream that is cut off or corrupt
 * yields its complete lines, then `{ damage }`: the cut line is lost, not the lines before it.
 */
async function* byteLines(path: string): AsyncGenerator<Buffer | { damage: Damage }> {
  let pending: Buffer[] = [];
  for await (const chunk of fileBytes(path)) {
    if (!Buffer.isBuffer(chunk)) {
      yield chunk;
      return;
    }
    let start = 0;
    for (let nl = chunk.indexOf(10); nl >= 0; nl = chunk.indexOf(10, start)) {
      pending.push(chunk.subarray(start, nl));
      yield Buffer.concat(pending);
      pending = [];
      start = nl + 1;
    }
    if (start < chunk.length) pending.push(chunk.subarray(start));
  }
  if (pending.length) yield Buffer.concat(pending);
}

/** JSON Lines, plain or gzip (detected from the magic bytes, not the name); also a single JSON array file. */
export async function* readJsonl(path: string): AsyncGenerator<RowOrError> {
  let n = 0;
  for await (const bytes of byteLines(path)) {
    n++;
    if (!Buffer.isBuffer(bytes)) {
      const damage = { ...bytes.damage, file: path, kept: n - 1 };
      yield { where: `${path}:${n}`, error: damageMessage(damage), damage };
      return;
    }
    const decoded = decodeUtf8(bytes);
    if (decoded === undefined) {
      yield { where: `${path}:${n}`, error: 'the line is not valid UTF-8' };
      continue;
    }
    const text = decoded.trim();
    if (!text) continue;
    if (n === 1 && text.startsWith('[')) {
      // a whole-file JSON array (HumanEval/MBPP are sometimes shipped so): small by nature, parse at once
      yield* readJsonArray(path);
      return;
    }
    try {
      const row = parseJson(text);
      if (typeof row !== 'object' || row === null || Array.isArray(row)) {
        yield { where: `${path}:${n}`, error: 'line is JSON but not an object' };
      } else yield { row: row as Record<string, unknown>, where: `${path}:${n}` };
    } catch (err) {
      yield { where: `${path}:${n}`, error: `invalid JSON: ${(err as Error).message}` };
    }
  }
}

async function* readJsonArray(path: string): AsyncGenerator<RowOrError> {
  const chunks: Buffer[] = [];
  for await (const line of byteLines(path)) {
    if (!Buffer.isBuffer(line)) {
      const damage = { ...line.damage, file: path, kept: 0 };
      yield { where: path, error: damageMessage(damage), damage };
      return;
    }
    chunks.push(line, Buffer.from('\n'));
  }
  const text = decodeUtf8(Buffer.concat(chunks));
  if (text === undefined) {
    yield { where: path, error: 'the file is not valid UTF-8' };
    return;
  }
  let rows: unknown;
  try {
    rows = parseJson(text);
  } catch (err) {
    yield { where: path, error: `invalid JSON: ${(err as Error).message}` };
    return;
  }
  if (!Array.isArray(rows)) {
    yield { where: path, error: 'JSON file is neither JSON lines nor an array of objects' };
    return;
  }
  for (const [i, row] of rows.entries()) {
    if (typeof row === 'object' && row !== null) {
      yield { row: row as Record<string, unknown>, where: `${path}[${i}]` };
    } else yield { where: `${path}[${i}]`, error: 'array element is not an object' };
  }
}

/**
 * Parquet rows with hyparquet, one row group in memory at a time: every codec (snappy, gzip, zstd, brotli,
 * lz4, through hyparquet-compressors), data pages v1 and v2, dictionary encoding, nested lists and structs.
 * Strings are decoded here, strictly, so a row with invalid UTF-8 is a bad row, not U+FFFD in the dataset.
 */
export async function* readParquet(path: string): AsyncGenerator<RowOrError> {
  let file: Awaited<ReturnType<typeof asyncBufferFromFile>>;
  let metadata: Awaited<ReturnType<typeof parquetMetadataAsync>>;
  try {
    file = await asyncBufferFromFile(path);
    metadata = await parquetMetadataAsync(file);
  } catch (err) {
    yield { where: path, error: `not a readable Parquet file: ${(err as Error).message}` };
    return;
  }
  let rowStart = 0;
  for (const group of metadata.row_groups) {
    const rowEnd = rowStart + Number(group.num_rows);
    let rows: Record<string, unknown>[];
    try {
      rows = await parquetReadObjects({ file, metadata, compressors: codecs, rowStart, rowEnd, utf8: false });
    } catch (err) {
      yield {
        where: `${path}#${rowStart}-${rowEnd - 1}`,
        error: `unreadable row group: ${(err as Error).message}`,
      };
      rowStart = rowEnd;
      continue;
    }
    for (const [k, row] of rows.entries()) {
      const where = `${path}#${rowStart + k}`;
      try {
        yield { row: normaliseRow(row), where };
      } catch (err) {
        if (!(err instanceof Utf8Error)) throw err;
        yield { where, error: err.message };
      }
    }
    rowStart = rowEnd;
  }
}

/** Arrow IPC, file or stream format, one record batch at a time. */
export async function* readArrow(path: string): AsyncGenerator<RowOrError> {
  const reader = await RecordBatchReader.from(createReadStream(path));
  let i = 0;
  for await (const batch of reader) {
    for (let k = 0; k < batch.numRows; k++) {
      const row = batch.get(k)?.toJSON() ?? {};
      yield { row: normaliseRow(row as Record<string, unknown>), where: `${path}#${i++}` };
    }
  }
}

// Parquet/Arrow give bigint for int64 and Buffers for untyped byte arrays; the dataset readers want JSON values.
function normaliseRow(row: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) out[k] = normaliseValue(v, k);
  return out;
}

class Utf8Error extends Error {}

function normaliseValue(v: unknown, field = ''): unknown {
  // an int64 past 2^53 stays exact (a bigint), as parseJson reads one from JSON
  if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : v;
  if (v instanceof Uint8Array) {
    const text = decodeUtf8(v);
    if (text === undefined) throw new Utf8Error(`column ${field} is not valid UTF-8`);
    return text;
  }
  if (Array.isArray(v)) return v.map((x) => normaliseValue(x, field));
  if (v && typeof v === 'object' && 'toJSON' in v && typeof v.toJSON === 'function') {
    return normaliseValue((v as { toJSON(): unknown }).toJSON(), field);
  }
  if (v && typeof v === 'object' && !(v instanceof Date)) {
    return normaliseRow(v as Record<string, unknown>);
  }
  return v;
}

/**
 * Why a file cannot hold dataset rows, from its footer or first line, or undefined where it may: a
 * .parquet that is not Parquet (a Git LFS pointer, a cut download, another format so named), a JSON-lines
 * file whose first line is not a JSON object or the start of an array (README.md, a CSV). Arrow files
 * are left to their reader. Reads one line at most, so it costs nothing on a large input.
 */
export async function notRowsReason(path: string): Promise<string | undefined> {
  // a dataset cloned without git-lfs has these small text files in place of its data files
  if ((await firstBytes(path, 24)).toString('latin1').startsWith('version https://git-lfs'))
    return 'it is a Git LFS pointer, not the data (git lfs pull fetches the data)';
  if (/\.parquet$/i.test(path)) {
    try {
      await parquetMetadataAsync(await asyncBufferFromFile(path));
      return undefined;
    } catch (err) {
      return `not a readable Parquet file: ${(err as Error).message}`;
    }
  }
  if (/\.(arrow|arrows|ipc|feather)$/i.test(path)) return undefined;
  for await (const bytes of byteLines(path)) {
    if (!Buffer.isBuffer(bytes)) return `the file is damaged (${bytes.damage.reason})`;
    const text = decodeUtf8(bytes)?.trim();
    if (text === undefined) return 'its first line is not UTF-8 text';
    if (!text) continue;
    if (text.startsWith('[')) return undefined; // a whole-file JSON array, as readJsonl takes it
    try {
      const row = parseJson(text);
      if (typeof row === 'object' && row !== null && !Array.isArray(row)) return undefined;
    } catch {
      // not JSON: said below
    }
    const shown = text.length > 40 ? `${text.slice(0, 40)}…` : text;
    return `its first line is not a JSON object (${JSON.stringify(shown)})`;
  }
  return undefined; // empty: no rows, and nothing to misread
}

/** Rows of any supported file, chosen by extension (gzip is detected from the bytes). */
export function readRows(path: string): AsyncGenerator<RowOrError> {
  if (/\.parquet$/i.test(path)) return readParquet(path);
  if (/\.(arrow|arrows|ipc|feather)$/i.test(path)) return readArrow(path);
  return readJsonl(path);
}
