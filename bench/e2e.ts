// End-to-end cost against input size: the whole StructureCoder pipeline (mutation generator) on 1×, 10× and
// 100× the fixtures, each in its own process, on input no cache can answer: copy r of a problem gets a new id,
// a question with its copy number, a solution with one more statement (so every program, prompt and
// candidate is new to the verdict and generation caches) and its tests in another order. Reported per
// size: problems/s, candidates checked/s, pairs/s, peak RSS and peak live memory, and the caches' size on disk
// with the number of files in the output folder. The goal: cost linear in the input (rates flat), peak live
// memory within 1.3× from 1× to 100×, and a file count that does not grow with the input (one cache store). A separate line measures a rerun of
// the 1× input that the caches do answer (a restart, a changed final step).
// Default test limits (from the reference solutions' CPU time). The runs share one V8 old-space cap
// (--max-old-space-size=128) so that a lazy collector's headroom is not read as memory the pipeline keeps;
// shards of 500 rows and sort runs of 500 pairs keep every run past the engine's buffers.
// Usage: npx tsx bench/e2e.ts [--scales 1,10,100]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { report } from './common.ts';

const RUN = ['--quiet', '--rows-per-shard', '500', '--sort-run-size', '500'];

if (process.argv[2] === '--child') {
  // one pipeline run in this process; its peak RSS is then this process's
  const { main } = await import('../app/cli.ts');
  // live memory: the heap and the external buffers just after a full collection, ten times a second
  const gc = (globalThis as { gc?: () => void }).gc!;
  let maxLive = 0;
  const sampler = setInterval(() => {
    gc();
    const m = process.memoryUsage();
    maxLive = Math.max(maxLive, m.heapUsed + m.external);
  }, 100);
  const t0 = Date.now();
  const code = await main([
    'run',
    'structurecoder',
    '--input',
    process.argv[3]!,
    '--out',
    process.argv[4]!,
    ...RUN,
    ...process.argv.slice(5),
  ]);
  const secs = (Date.now() - t0) / 1000;
  clearInterval(sampler);
  const m = JSON.parse(readFileSync(join(process.argv[4]!, 'manifest.json'), 'utf8')) as {
    counts: Record<string, { in: number; out: number; stats: Record<string, number> }>;
  };
  const report = JSON.parse(readFileSync(join(process.argv[4]!, 'report.json'), 'utf8')) as {
    stores: { bytes: number; files: number }[];
  };
  const files = readdirSync(process.argv[4]!, { recursive: true, withFileTypes: true }).filter((e) =>
    e.isFile(),
  );
  console.log(
    JSON.stringify({
      code,
      secs,
      checked: m.counts.check!.in,
      verdict_cache_hits: (m.counts.check!.stats.cache_hits ?? 0) + (m.counts.label!.stats.cache_hits ?? 0),
      pairs: m.counts.pair!.out,
      max_rss_mb: process.resourceUsage().maxRSS / 1024,
      max_live_mb: maxLive / 2 ** 20,
      cache_mb: report.stores.reduce((n, st) => n + st.bytes, 0) / 1e6,
      cache_files: report.stores.reduce((n, st) => n + st.files, 0),
      out_files: files.length,
    }),
  );
  process.exit(code);
}

const arg = process.argv.indexOf('--scales');
const scales = (arg > 0 ? process.argv[arg + 1]! : '1,10,100').split(',').map(Number);
const fixtures = readFileSync(new URL('../fixtures/apps.jsonl', import.meta.url), 'utf8')
  .trim()
  .split('\n');
const dir = mkdtempSync(join(tmpdir(), 'sf-e2e-'));

type Row = { problem_id: string; question: string; solutions: string; input_output: string };
/** Copy r of a problem, new to every cache: another id, question, program text and test order. */
function variant(row: Row, r: number): Row {
  if (r === 0) return row;
  const solutions = (JSON.parse(row.solutions) as string[]).map((s) => `VARIANT = ${r}\n${s}`);
  const io = JSON.parse(row.input_output) as { inputs: unknown[]; outputs: unknown[]; fn_name?: string };
  const k = r % Math.max(1, io.inputs.length);
  const rot = <T>(xs: T[]) => [...xs.slice(k), ...xs.slice(0, k)];
  return {
    ...row,
    problem_id: `${row.problem_id}-v${r}`,
    question: `${row.question}\n(Variant ${r}.)`,
    solutions: JSON.stringify(solutions),
    input_output: JSON.stringify({ ...io, inputs: rot(io.inputs), outputs: rot(io.outputs) }),
  };
}
function input(k: number): string {
  const rows = Array.from({ length: k }, (_, r) =>
    fixtures.map((l) => JSON.stringify(variant(JSON.parse(l) as Row, r))),
  ).flat();
  const path = join(dir, `apps-${k}x.jsonl`);
  writeFileSync(path, rows.join('\n') + '\n');
  return path;
}
type Result = {
  code: number;
  secs: number;
  checked: number;
  verdict_cache_hits: number;
  pairs: number;
  max_rss_mb: number;
  max_live_mb: number;
  cache_mb: number;
  cache_files: number;
  out_files: number;
};
function child(path: string, out: string, extra: string[] = []): Result {
  const r = spawnSync('npx', ['tsx', new URL(import.meta.url).pathname, '--child', path, out, ...extra], {
    encoding: 'utf8',
    env: {
      ...process.env,
      NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --max-old-space-size=128 --expose-gc`,
    },
  });
  const last = JSON.parse(r.stdout.trim().split('\n').pop()!) as Result;
  if (last.code !== 0) throw new Error(`the run on ${path} failed: ${r.stderr.slice(-500)}`);
  return last;
}
const line = (label: string, problems: number, x: Result) => {
  const rates = {
    problems_per_s: problems / x.secs,
    checked_per_s: x.checked / x.secs,
    pairs_per_s: x.pairs / x.secs,
  };
  console.log(
    `${label}: ${problems} problems in ${x.secs.toFixed(1)} s: ${rates.problems_per_s.toFixed(2)} problems/s, ` +
      `${rates.checked_per_s.toFixed(1)} candidates checked/s, ${rates.pairs_per_s.toFixed(2)} pairs/s, ` +
      `peak RSS ${x.max_rss_mb.toFixed(0)} MB, peak live ${x.max_live_mb.toFixed(0)} MB, verdict cache hits ${x.verdict_cache_hits}, ` +
      `cache ${x.cache_mb.toFixed(1)} MB in ${x.cache_files} files, ${x.out_files} files in the output folder`,
  );
  return {
    ...rates,
    rss: x.max_rss_mb,
    live: x.max_live_mb,
    hits: x.verdict_cache_hits,
    cache_mb: x.cache_mb,
    cache_files: x.cache_files,
    out_files: x.out_files,
  };
};
const results = scales.map((k) => line(`${k}×`, fixtures.length * k, child(input(k), join(dir, `out-${k}`))));
// the rerun a cache answers: the 1× input again in its folder, committed units discarded (--overwrite)
const cached = line(
  '1× again (caches warm)',
  fixtures.length,
  child(input(1), join(dir, `out-${scales[0]}`), ['--overwrite']),
);
const first = results[0]!;
const last = results[results.length - 1]!;
report({
  bench: 'e2e',
  unit: 'problems',
  ours_per_s: last.problems_per_s,
  baseline: `the same pipeline at ${scales[0]}× input`,
  baseline_per_s: first.problems_per_s,
  scales: scales.join(','),
  ...Object.fromEntries(
    scales.flatMap((k, i) => [
      [`problems_per_s_${k}x`, Number(results[i]!.problems_per_s.toFixed(3))],
      [`checked_per_s_${k}x`, Number(results[i]!.checked_per_s.toFixed(2))],
      [`pairs_per_s_${k}x`, Number(results[i]!.pairs_per_s.toFixed(3))],
      [`peak_rss_mb_${k}x`, Number(results[i]!.rss.toFixed(1))],
      [`peak_live_mb_${k}x`, Number(results[i]!.live.toFixed(1))],
      [`verdict_cache_hits_${k}x`, results[i]!.hits],
      [`cache_mb_${k}x`, Number(results[i]!.cache_mb.toFixed(1))],
      [`cache_files_${k}x`, results[i]!.cache_files],
      [`out_files_${k}x`, results[i]!.out_files],
    ]),
  ),
  live_ratio: Number((last.live / first.live).toFixed(3)),
  rss_ratio: Number((last.rss / first.rss).toFixed(3)),
  rerun_problems_per_s: Number(cached.problems_per_s.toFixed(3)),
  rerun_verdict_cache_hits: cached.hits,
});
