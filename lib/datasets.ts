import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join, relative, resolve } from 'node:path';
import type { RunContext } from './context.ts';
import { Problem, type TestSpec, describeZodError } from './schemas.ts';
import { isBadRow, readRows, type RowOrError } from './sources.ts';

export const INPUT_FORMATS = ['apps', 'apps-dir', 'humaneval', 'mbpp'] as const;
export type InputFormat = (typeof INPUT_FORMATS)[number];
type RowFormat = Exclude<InputFormat, 'apps-dir'>;

/** The reader's stage name in counters and rejects. */
export const READ_STAGE = 'read';

/** Which published layout a row follows, from its columns. */
export function detectRowFormat(row: Record<string, unknown>): RowFormat | undefined {
  if ('canonical_solution' in row && 'entry_point' in row) return 'humaneval';
  if ('test_list' in row) return 'mbpp';
  if ('input_output' in row || ('solutions' in row && 'question' in row)) return 'apps';
  return undefined;
}

function parseJsonField(value: unknown, field: string): unknown {
  if (typeof value !== 'string') return value;
  if (value.trim() === '') return undefined; // APPS test-split rows have "" where there is nothing
  try {
    return JSON.parse(value);
  } catch (err) {
    throw new Error(`${field} is not valid JSON: ${(err as Error).message}`);
  }
}

const joinLines = (v: unknown): string => (Array.isArray(v) ? v.map(String).join('\n') : String(v ?? ''));

/** APPS `input_output` → tests. Without `fn_name` it is stdin/stdout, with it a function call. */
export function appsTests(io: unknown): TestSpec {
  if (io === undefined || io === null) return { kind: 'stdio', inputs: [], outputs: [] };
  if (typeof io !== 'object') throw new Error('input_output is not an object');
  const {
    inputs = [],
    outputs = [],
    fn_name,
  } = io as { inputs?: unknown; outputs?: unknown; fn_name?: unknown };
  if (!Array.isArray(inputs) || !Array.isArray(outputs))
    throw new Error('input_output.inputs/outputs are not lists');
  if (inputs.length !== outputs.length) {
    throw new Error(`input_output has ${inputs.length} inputs but ${outputs.length} outputs`);
  }
  if (typeof fn_name === 'string' && fn_name) return { kind: 'call', fn_name, inputs, outputs };
  // a stdio test input or output given as a list of lines is joined with "\n" (SPEC §4)
  return { kind: 'stdio', inputs: inputs.map(joinLines), outputs: outputs.map(joinLines) };
}

export function fromAppsRow(row: Record<string, unknown>): Problem {
  const solutions = parseJsonField(row.solutions, 'solutions') ?? [];
  if (!Array.isArray(solutions) || !solutions.every((s) => typeof s === 'string')) {
    throw new Error('solutions is not a list of strings');
  }
  return {
    problem_id: String(row.problem_id ?? row.id ?? ''),
    source: 'apps',
    question: String(row.question ?? ''),
    solutions,
    tests: appsTests(parseJsonField(row.input_output, 'input_output')),
    starter_code: String(row.starter_code ?? ''),
    ...(row.difficulty ? { difficulty: String(row.difficulty) } : {}),
    ...(row.url ? { url: String(row.url) } : {}),
  };
}

export function fromHumanEvalRow(row: Record<string, unknown>): Problem {
  const prompt = String(row.prompt ?? '');
  const entry = String(row.entry_point ?? '');
  if (!entry) throw new Error('entry_point is empty');
  return {
    problem_id: String(row.task_id ?? ''),
    source: 'humaneval',
    question: prompt,
    solutions: [prompt + String(row.canonical_solution ?? '')],
    tests: { kind: 'assert', code: `${String(row.test ?? '')}\n\ncheck(${entry})\n` },
    starter_code: prompt,
  };
}

export function fromMbppRow(row: Record<string, unknown>): Problem {
  const asserts = row.test_list;
  if (!Array.isArray(asserts)) throw new Error('test_list is not a list');
  // the "sanitized" MBPP config names its fields prompt/test_imports instead of text/test_setup_code
  const setup = Array.isArray(row.test_imports)
    ? row.test_imports.join('\n')
    : String(row.test_setup_code ?? '');
  return {
    problem_id: String(row.task_id ?? ''),
    source: 'mbpp',
    question: String(row.text ?? row.prompt ?? ''),
    solutions: [String(row.code ?? '')],
    tests: {
      kind: 'assert',
      code: [setup, ...asserts.map(String)].filter((s) => s.trim()).join('\n') + '\n',
    },
    starter_code: '',
  };
}

const CONVERTERS: Record<RowFormat, (row: Record<string, unknown>) => Problem> = {
  apps: fromAppsRow,
  humaneval: fromHumanEvalRow,
  mbpp: fromMbppRow,
};

/** Problems of the APPS release folder layout: every folder holding a `question.txt`, in name order. */
export async function* readAppsDir(root: string): AsyncGenerator<RowOrError> {
  const dirs: string[] = [];
  const walk = (d: string) => {
    if (existsSync(join(d, 'question.txt'))) {
      dirs.push(d);
      return;
    }
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (e.isDirectory()) walk(join(d, e.name));
    }
  };
  walk(root);
  for (const d of dirs) {
    const read = (f: string) => (existsSync(join(d, f)) ? readFileSync(join(d, f), 'utf8') : undefined);
    const meta = parseJsonField(read('metadata.json'), 'metadata.json') as
      Record<string, unknown> | undefined;
    yield {
      where: d,
      row: {
        problem_id: relative(root, d) || d,
        question: read('question.txt') ?? '',
        solutions: read('solutions.json') ?? '[]',
        input_output: read('input_output.json') ?? '',
        starter_code: read('starter_code.py') ?? '',
        difficulty: meta?.difficulty,
        url: meta?.url,
      },
    };
  }
}

export interface ReadOptions {
  /** Force a layout instead of detecting it from the path and the first row. */
  format?: InputFormat;
  /** Read only rows whose position in the whole input is `rank` modulo `world` (one rank of several). */
  partition?: { rank: number; world: number };
}

const DATA_FILE = /\.(jsonl|json|jsonl\.gz|json\.gz|parquet|arrow|arrows|ipc|feather)$/i;

/**
 * The files of an input: a comma-separated list of paths; a folder holding data files (read in name
 * order, so new files named after the old ones extend a corpus); or one file or APPS folder.
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

/** Rows per input unit unless told otherwise: the work that a crash can cost, and the grain of restarts. */
export const DEFAULT_UNIT_SIZE = 256;

/**
 * A slice of the input that is worked on and committed as a whole: up to `unitSize` consecutive rows of
 * one input file (or APPS folder). Its key names the file, the file's size and modification time, the
 * slice's place in it and its first input position, so a key seen before means the same rows.
 */
export interface InputUnit {
  key: string;
  file: string;
  chunk: number;
  /** Input position (`problem_index`) of the unit's first row. */
  first: number;
  /** The unit's problems, read and counted once. */
  problems: () => AsyncGenerator<Problem>;
  /** Pass the unit's rows by without converting or counting them (its work was committed before). */
  skip: () => Promise<void>;
}

export interface UnitOptions extends ReadOptions {
  /** Rows per unit (default 256). */
  unitSize?: number;
}

/** Problems of any supported input, in units (see `InputUnit`). Each unit must be read or skipped in turn. */
export function readUnits(ctx: RunContext, input: string, opts: UnitOptions = {}): AsyncGenerator<InputUnit> {
  ctx.counter(READ_STAGE); // the first stage of the run's summary, before any record is read
  return units(ctx, inputPaths(input), opts);
}

async function* units(ctx: RunContext, paths: string[], opts: UnitOptions): AsyncGenerator<InputUnit> {
  const size = opts.unitSize ?? DEFAULT_UNIT_SIZE;
  if (!Number.isInteger(size) || size < 1)
    throw new Error(`unit size must be a positive integer, got ${size}`);
  const ordinal = { next: 0 };
  for (const path of paths) {
    const st = statSync(path);
    const isDir = st.isDirectory();
    if (opts.format === 'apps-dir' && !isDir)
      throw new Error(`--input-format apps-dir needs a folder: ${path}`);
    if (isDir && opts.format && opts.format !== 'apps-dir') {
      throw new Error(`${path} is a folder; only --input-format apps-dir reads folders`);
    }
    const it = (isDir ? readAppsDir(path) : readRows(path))[Symbol.asyncIterator]();
    const stamp = isDir ? folderStamp(path) : `${st.size}:${st.mtimeMs}`;
    const state: ConvertState = { path, format: isDir ? 'apps' : (opts.format as RowFormat | undefined) };
    let pending = await it.next();
    for (let chunk = 0; !pending.done; chunk++) {
      let left = size;
      async function* take(): AsyncGenerator<[number, RowOrError]> {
        while (left > 0 && !pending.done) {
          const row = pending.value;
          left--;
          pending = await it.next();
          yield [ordinal.next++, row];
        }
      }
      const first = ordinal.next;
      const key = createHash('sha256')
        .update(JSON.stringify([resolve(path), stamp, chunk, first, size]))
        .digest('hex')
        .slice(0, 24);
      yield {
        key,
        file: path,
        chunk,
        first,
        problems: async function* () {
          for await (const [index, row] of take()) {
            if (opts.partition && index % opts.partition.world !== opts.partition.rank) continue; // another rank's row
            const p = convert(ctx, row, index, state);
            if (p) yield p;
          }
        },
        skip: async () => {
          for await (const _ of take());
        },
      };
      for await (const _ of take()); // rows the consumer left unread belong to this unit, not the next
    }
  }
}

/** A folder changes when any file under it is added, removed or rewritten. */
function folderStamp(root: string): string {
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

interface ConvertState {
  path: string;
  format: RowFormat | undefined;
}

/** One input row → a problem, or a reject of the `read` stage with the row's position and the reason. */
function convert(ctx: RunContext, r: RowOrError, index: number, state: ConvertState): Problem | undefined {
  const c = ctx.counter(READ_STAGE);
  c.in++;
  const reject = (reason: string, detail: string) => {
    c.rejected++;
    ctx.reject({ stage: READ_STAGE, id: r.where, reason, detail });
  };
  if (isBadRow(r)) {
    reject('unreadable_row', r.error);
    return undefined;
  }
  state.format ??= detectRowFormat(r.row);
  if (!state.format) {
    throw new Error(
      `cannot tell the dataset layout of ${state.path} from its first row (columns: ${Object.keys(r.row).join(', ')}); ` +
        `name it with --input-format ${INPUT_FORMATS.join('|')}`,
    );
  }
  let problem: Problem;
  try {
    problem = CONVERTERS[state.format](r.row);
  } catch (err) {
    reject('invalid_record', (err as Error).message);
    return undefined;
  }
  const check = Problem.safeParse(problem);
  if (!check.success) {
    reject('invalid_record', describeZodError(check.error));
    return undefined;
  }
  c.passed++;
  c.out++;
  return { ...problem, problem_index: index };
}

/**
 * Problems of any supported input. Rows that cannot be read or converted go to the rejects output
 * of the `read` stage with their file position and the reason; the run goes on.
 */
export async function* readProblems(
  ctx: RunContext,
  path: string,
  opts: ReadOptions = {},
): AsyncGenerator<Problem> {
  for await (const unit of readUnits(ctx, path, opts)) yield* unit.problems();
}
