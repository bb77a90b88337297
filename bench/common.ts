import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';

/** The result line every bench prints last (and `npm run bench` collects). */
export interface BenchFigures {
  bench: string;
  unit: string;
  ours_per_s: number;
  baseline: string;
  baseline_per_s: number;
}

/** Prints the figures and, last, one JSON line with the ratio (ours / baseline) and the machine. */
export function report(r: BenchFigures & Record<string, unknown>): void {
  const ratio = r.ours_per_s / r.baseline_per_s;
  console.log(
    `ours: ${r.ours_per_s.toFixed(1)} ${r.unit}/s   ${r.baseline}: ${r.baseline_per_s.toFixed(1)} ${r.unit}/s   ratio ${ratio.toFixed(2)}×`,
  );
  console.log(
    JSON.stringify({
      ...r,
      ratio: Number(ratio.toFixed(3)),
      machine: `${cpus().length}× ${cpus()[0]?.model ?? '?'}`,
      date: new Date().toISOString().slice(0, 10),
    }),
  );
}

export const seconds = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e9;

export const PYTHON = execFileSync('python3', ['-c', 'import sys; print(sys.executable)']).toString().trim();

/** Standard-library Python files, sorted, as the benches' corpus of real code. */
export function stdlibFiles(limit: number): string[] {
  const root = execFileSync(PYTHON, ['-c', 'import sysconfig; print(sysconfig.get_paths()["stdlib"])'])
    .toString()
    .trim();
  const files: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d).sort()) {
      if (['site-packages', 'dist-packages', '__pycache__', 'test', 'tests', 'lib2to3'].includes(e)) continue;
      const p = join(d, e);
      if (statSync(p).isDirectory()) walk(p);
      else if (e.endsWith('.py')) files.push(p);
    }
  };
  walk(root);
  return files.slice(0, limit);
}

export function argNumber(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
}

/**
 * One run of a peer harness of bench/check_baselines.py (MODE, on WORKERS workers) over the programs: its time,
 * after checking that every program passed there too.
 */
export function checkBaseline(
  python: string,
  mode: string,
  workers: number,
  programs: { code: string; inputs: string[] | null; outputs: string[] | null }[],
): { seconds: number; passed: number } {
  const script = new URL('./check_baselines.py', import.meta.url).pathname;
  const r = spawnSync(python, [script, mode, String(workers)], {
    input: JSON.stringify(programs),
    maxBuffer: 1 << 26,
  });
  if (r.status !== 0) throw new Error(`${mode}: ${r.stderr.toString()}`);
  const out = JSON.parse(r.stdout.toString().trim().split('\n').pop()!) as {
    seconds: number;
    passed: number;
  };
  if (out.passed !== programs.length)
    throw new Error(`${mode}: ${out.passed}/${programs.length} programs passed`);
  return out;
}
