// Runs every bench and writes bench/RESULTS.md: one row per bench with our figure, the baseline's, the
// ratio, the machine and the date (each bench's last JSON line). Usage: npm run bench
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';

const BENCHES = ['format', 'split', 'check', 'pairs', 'parquet', 'e2e'];
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
  };
  const f = (x: number) => x.toLocaleString('en-US', { maximumFractionDigits: 1 });
  rows.push(
    `| ${j.bench} | ${f(j.ours_per_s)} ${j.unit}/s | ${j.baseline}: ${f(j.baseline_per_s)} ${j.unit}/s | ${j.ratio}× | ${j.machine} | ${j.date} |`,
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
