// End-to-end throughput and memory: the whole StructureCoder pipeline (mutation generator) on the fixtures
// at 1× and at N× input size (the problems repeated under new ids), each in its own process, reporting
// problems/s and the peak RSS of the pipeline process. The baseline of the JSON line is the 1× run: peak
// memory must not grow with the input. Shards of 500 rows and sort runs of 500 pairs keep both runs past
// the engine's buffers, so what grows with the input would show. Both runs get the same V8 old-space cap
// (--max-old-space-size=128): without one, V8 grows its heap into whatever headroom there is the longer a
// process runs (20× the input: 313 MB peak RSS uncapped, 251 MB capped, at the same speed), which measures
// the collector's laziness rather than what the pipeline keeps. With the cap, memory the pipeline did keep
// per problem would show as a failed or slowed N× run.
// Usage: npx tsx bench/e2e.ts [--scale N] (default 10)
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { report } from './common.ts';

if (process.argv[2] === '--child') {
  // one pipeline run in this process; its peak RSS is then this process's
  const { main } = await import('../app/cli.ts');
  // live memory: the heap and the external buffers just after a full collection, sampled ten times a second (the collections cost the run about 10 %)
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
    '--test-timeout',
    '0.5',
    '--quiet',
    '--rows-per-shard',
    '500',
    '--sort-run-size',
    '500',
  ]);
  console.log(
    JSON.stringify({
      code,
      secs: (Date.now() - t0) / 1000,
      max_rss_mb: process.resourceUsage().maxRSS / 1024,
      max_live_mb: maxLive / 2 ** 20,
    }),
  );
  clearInterval(sampler);
  process.exit(code);
}

const scale = Number(process.argv[process.argv.indexOf('--scale') + 1] ?? 10) || 10;
const fixtures = readFileSync(new URL('../fixtures/apps.jsonl', import.meta.url), 'utf8')
  .trim()
  .split('\n');
const dir = mkdtempSync(join(tmpdir(), 'sf-e2e-'));
function input(k: number): string {
  const rows = Array.from({ length: k }, (_, r) =>
    fixtures.map((l) => {
      const row = JSON.parse(l) as { problem_id: string };
      return JSON.stringify({ ...row, problem_id: `${row.problem_id}-x${r}` });
    }),
  ).flat();
  const path = join(dir, `apps-${k}x.jsonl`);
  writeFileSync(path, rows.join('\n') + '\n');
  return path;
}
function measure(k: number) {
  const r = spawnSync(
    'npx',
    ['tsx', new URL(import.meta.url).pathname, '--child', input(k), join(dir, `out-${k}`)],
    {
      encoding: 'utf8',
      env: {
        ...process.env,
        NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --max-old-space-size=128 --expose-gc`,
      },
    },
  );
  const last = JSON.parse(r.stdout.trim().split('\n').pop()!) as {
    code: number;
    secs: number;
    max_rss_mb: number;
    max_live_mb: number;
  };
  if (last.code !== 0) throw new Error(`the ${k}× run failed: ${r.stderr.slice(-500)}`);
  const problems = fixtures.length * k;
  console.log(
    `${k}×: ${problems} problems in ${last.secs.toFixed(1)}s = ${(problems / last.secs).toFixed(2)} problems/s, peak RSS ${last.max_rss_mb.toFixed(0)} MB, peak live ${last.max_live_mb.toFixed(0)} MB`,
  );
  return { problems_per_s: problems / last.secs, rss: last.max_rss_mb, live: last.max_live_mb };
}
const one = measure(1);
const many = measure(scale);
report({
  bench: 'e2e',
  unit: 'problems',
  ours_per_s: many.problems_per_s,
  baseline: `the same pipeline at 1× input`,
  baseline_per_s: one.problems_per_s,
  scale,
  peak_rss_mb_1x: Number(one.rss.toFixed(1)),
  [`peak_rss_mb_${scale}x`]: Number(many.rss.toFixed(1)),
  rss_ratio: Number((many.rss / one.rss).toFixed(3)),
  peak_live_mb_1x: Number(one.live.toFixed(1)),
  [`peak_live_mb_${scale}x`]: Number(many.live.toFixed(1)),
  live_ratio: Number((many.live / one.live).toFixed(3)),
});
