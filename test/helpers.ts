import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { asyncBufferFromFile, parquetReadObjects } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { chromium, type Browser } from 'playwright-core';
import { readManifest } from '../lib/manifest.ts';
import type { Problem, PromptedTarget } from '../lib/schemas.ts';

const made: string[] = [];
// the suite leaves no temporary folder behind (they held about 130 MB after one run)
process.once('exit', () => made.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

/** A fresh temporary folder, removed when the test process exits. */
export const tmp = (prefix = 'sf-') => {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
};

/** Read a Parquet file with hyparquet: an implementation independent of both writers. */
export async function readParquetFile(path: string): Promise<Record<string, unknown>[]> {
  return parquetReadObjects({ file: await asyncBufferFromFile(path), compressors });
}

/** All rows of a run's output, shard after shard in manifest order. */
export async function readShardRows(dir: string): Promise<Record<string, unknown>[]> {
  const m = readManifest(dir);
  return (await Promise.all(m.shards.map((s) => readParquetFile(join(dir, s.file))))).flat();
}

export async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const v of it) out.push(v);
  return out;
}

/** The real CPython interpreter used by the reference scripts (not a pyenv shim). */
export const PYTHON = execFileSync('python3', ['-c', 'import sys; print(sys.executable)']).toString().trim();

/** Python files of the interpreter's standard library, sorted, site-packages left out. */
export function stdlibFiles(): string[] {
  const root = execFileSync(PYTHON, ['-c', 'import sysconfig; print(sysconfig.get_paths()["stdlib"])'])
    .toString()
    .trim();
  const files: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d).sort()) {
      const p = join(d, e);
      if (e === 'site-packages' || e === 'dist-packages' || e === '__pycache__') continue;
      const s = statSync(p);
      if (s.isDirectory()) walk(p);
      else if (e.endsWith('.py')) files.push(p);
    }
  };
  walk(root);
  return files;
}

export const FIXTURES = new URL('../fixtures/', import.meta.url).pathname;

let pairShards: string | undefined;

/**
 * Curriculum-ordered pair shards of the fixtures (the StructureCoder pipeline through the CLI), made once
 * per test process and shared by the tests that only need some pairs to train on.
 */
export function fixturePairShards(): string {
  if (!pairShards) {
    const dir = tmp();
    const cli = new URL('../bin/structflow.js', import.meta.url).pathname;
    execFileSync(
      'node',
      [
        cli,
        'run',
        'structurecoder',
        '--input',
        join(FIXTURES, 'apps.jsonl'),
        '--out',
        dir,
        '--test-timeout',
        '0.5',
        '--quiet',
        '--rows-per-shard',
        '300',
      ],
      { stdio: 'pipe' },
    );
    pairShards = dir;
  }
  return pairShards;
}

/** Debian's Chromium, headless, cut off from the network; `.ci/run` installs it (apt-get install chromium). */
export async function launchChromium(): Promise<Browser> {
  const executablePath = process.env.CHROMIUM ?? '/usr/bin/chromium';
  if (!existsSync(executablePath))
    throw new Error(`no Chromium at ${executablePath}: apt-get install chromium (or set CHROMIUM=/path)`);
  return chromium.launch({
    executablePath,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-quic',
      '--no-first-run',
    ],
  });
}

/** A problem with no tests, for stages that never run its programs. */
export const stubProblem = (): Problem =>
  ({
    problem_id: 'p',
    question: 'Q',
    starter_code: '',
    tests: { kind: 'stdio', inputs: [], outputs: [] },
  }) as unknown as Problem;

/** The `full` (whole-program) target of a problem, as `fim` makes it, for the tests of later stages. */
export function fullTarget(problem: Problem, middle: string, chat_prompt = 'CHAT'): PromptedTarget {
  return {
    problem,
    problem_id: problem.problem_id,
    solution_index: 0,
    target_id: `${problem.problem_id}/0/full`,
    kind: 'full',
    block_type: 'full',
    depth: 0,
    start_line: 1,
    end_line: middle.replace(/\n$/, '').split('\n').length,
    prefix: '',
    middle,
    suffix: '',
    question: problem.question,
    starter_code: problem.starter_code,
    fim_prompt: '',
    chat_prompt,
    gen_start: '',
    prompt_family: 'qwen',
  };
}

/** The project's virtual environment's Python (pyarrow, datasets), made by `bash python/setup-venv.sh`. */
export function venvPython(): string {
  const py = new URL('../.venv/bin/python', import.meta.url).pathname;
  if (!existsSync(py)) throw new Error(`${py} is missing: run bash python/setup-venv.sh (npm ci does)`);
  return py;
}

/**
 * Starts `node ARGS` in its own process group and kills the group with SIGKILL once the run in `out` has
 * committed its first unit (or at `ms`, whichever comes first, or when it ends by itself).
 */
export async function killAfterFirstUnit(
  args: string[],
  out: string,
  opts: { cwd?: string; ms?: number } = {},
) {
  const child = spawn('node', args, { cwd: opts.cwd, detached: true, stdio: 'ignore' });
  const exited = new Promise((r) => child.on('exit', r).on('error', r));
  const parts = join(out, 'parts');
  for (let waited = 0; waited < (opts.ms ?? 60_000); waited += 25) {
    if (existsSync(parts) && readdirSync(parts).some((f) => f.endsWith('.done.json'))) break;
    await new Promise((r) => setTimeout(r, 25));
  }
  try {
    process.kill(-child.pid!, 'SIGKILL');
  } catch {
    // it had finished already
  }
  await exited;
}

/** Row i of a small APPS-layout input: problem `p<i>`, one reference printing 1, one test expecting it. */
export const appsRow = (i: number): string =>
  JSON.stringify({
    problem_id: `p${i}`,
    question: 'q',
    solutions: JSON.stringify(['print(1)']),
    input_output: JSON.stringify({ inputs: [''], outputs: ['1'] }),
  });
