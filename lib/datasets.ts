import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
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

/**
 * Problems of any supported input. Rows that cannot be read or converted go to the rejects output
 * of the `read` stage with their file position and the reason; the run goes on.
 */
export function readProblems(ctx: RunContext, path: string, opts: ReadOptions = {}): AsyncGenerator<Problem> {
  ctx.counter(READ_STAGE); // the first stage of the run's summary, before any record is read
  return allProblems(ctx, inputPaths(path), opts);
}

async function* allProblems(ctx: RunContext, paths: string[], opts: ReadOptions): AsyncGenerator<Problem> {
  const ordinal = { next: 0 };
  for (const p of paths) yield* problems(ctx, p, opts, ordinal);
}

async function* problems(
  ctx: RunContext,
  path: string,
  opts: ReadOptions,
  ordinal: { next: number },
): AsyncGenerator<Problem> {
  if (!existsSync(path)) throw new Error(`input not found: ${path}`);
  const isDir = statSync(path).isDirectory();
  if (opts.format === 'apps-dir' && !isDir)
    throw new Error(`--input-format apps-dir needs a folder: ${path}`);
  if (isDir && opts.format && opts.format !== 'apps-dir') {
    throw new Error(`${path} is a folder; only --input-format apps-dir reads folders`);
  }
  const rows = isDir ? readAppsDir(path) : readRows(path);
  let format: RowFormat | undefined = isDir ? 'apps' : (opts.format as RowFormat | undefined);
  const c = ctx.counter(READ_STAGE);
  for await (const r of rows) {
    const index = ordinal.next++;
    if (opts.partition && index % opts.partition.world !== opts.partition.rank) continue; // another rank's row
    c.in++;
    const reject = (reason: string, detail: string) => {
      c.rejected++;
      ctx.reject({ stage: READ_STAGE, id: r.where, reason, detail });
    };
    if (isBadRow(r)) {
      reject('unreadable_row', r.error);
      continue;
    }
    format ??= detectRowFormat(r.row);
    if (!format) {
      throw new Error(
        `cannot tell the dataset layout of ${path} from its first row (columns: ${Object.keys(r.row).join(', ')}); ` +
          `name it with --input-format ${INPUT_FORMATS.join('|')}`,
      );
    }
    let problem: Problem;
    try {
      problem = CONVERTERS[format](r.row);
    } catch (err) {
      reject('invalid_record', (err as Error).message);
      continue;
    }
    const check = Problem.safeParse(problem);
    if (!check.success) {
      reject('invalid_record', describeZodError(check.error));
      continue;
    }
    c.passed++;
    c.out++;
    yield { ...problem, problem_index: index };
  }
}
