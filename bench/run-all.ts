// Runs every bench and writes bench/RESULTS.md: one row per bench with our figure, the baseline's, the
// ratio, the machine and the date (each bench's last JSON line). Usage: npm run bench
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';

const BENCHES = ['format', 'split', 'check', 'check-real', 'pairs', 'parquet', 'e2e'];
const rows: string[] = [];
for (const b of BENCHES) {
  process.stderr.write(`bench/${b}.ts …\n`);
  const r = spawnSync('npx', ['tsx', `bench/${b}.ts`], { encoding: 'utf8' });
  const last = r.stdout.trim().split('\n').pop() ?? '';
  if (r.status !== 0 || !last.startsWith('{')) {
    rows.push(`| ${b} | failed: ${(r.stderr.trim().split('\n').pop() ?? '').replace(/\|/g, '/')} | | | | |`);
    continue;
  }
  process.stdout.write(r.stdout);
  const j = JSON.parse(last) as {
    bench: string;
    unit: string;
    ours_per_s: number;
    baseline: string;
    baseline_per_s: number;
    ratio: number;
    machine: string;
    date: string;
    [memory: string]: unknown;
  };
  const f = (x: number) => x.toLocaleString('en-US', { maximumFractionDigits: 1 });
  // the e2e bench's memory figures: peak RSS and peak live memory at 1× and at N× the input
  const mem = (scale: string) =>
    j.peak_live_mb_1x === undefined
      ? ''
      : ` (peak RSS ${f(j[`peak_rss_mb_${scale}`] as number)} MB, live ${f(j[`peak_live_mb_${scale}`] as number)} MB)`;
  const ratio =
    j.live_ratio === undefined ? `${j.ratio}×` : `${j.ratio}× (RSS ${j.rss_ratio}×, live ${j.live_ratio}×)`;
  rows.push(
    `| ${j.bench} | ${f(j.ours_per_s)} ${j.unit}/s${mem(
      `${String(j.scales ?? j.scale)
        .split(',')
        .pop()}x`,
    )} | ${j.baseline}: ${f(j.baseline_per_s)} ${j.unit}/s${mem('1x')} | ${ratio} | ${j.machine} | ${j.date} |`,
  );
}
writeFileSync(
  new URL('./RESULTS.md', import.meta.url),
  [
    '# Bench results',
    '',
    "Written by `npm run bench` (`bench/run-all.ts`); each row is one bench's last line, ours and the baseline measured in the same run.",
    '',
    '| stage | ours | baseline | ratio | machine | date |',
    '| --- | --- | --- | --- | --- | --- |',
    ...rows,
    '',
  ].join('\n'),
);
process.stderr.write('→ bench/RESULTS.md\n');
