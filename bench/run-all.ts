// Runs every bench and writes bench/RESULTS.md, the one source of the figures the docs quote: a row per
// result line a bench prints (`report()` in bench/common.ts; a bench with several peers prints one each),
// with our figure, the peer's, the ratio and the notes the bench adds (memory, cache size, identical
// files), under the machine and the date. Usage: npm run bench [-- --only split,pairs] [-- --use e2e=FILE]
// (--use: take a bench's rows from its saved output, e.g. of a long e2e run, instead of running it again)
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';

const BENCHES = ['format', 'split', 'check', 'check-real', 'check-asserts', 'pairs', 'parquet', 'e2e'];
const only = process.argv.indexOf('--only');
const run = only > 0 ? process.argv[only + 1]!.split(',') : BENCHES;
const RESULTS = new URL('./RESULTS.md', import.meta.url);
const saved = new Map(
  process.argv
    .flatMap((a, i) => (process.argv[i - 1] === '--use' ? [a.split('=') as [string, string]] : []))
    .map(([b, file]) => [b, readFileSync(file, 'utf8')]),
);

type Line = {
  bench: string;
  unit: string;
  ours_per_s: number;
  baseline: string;
  baseline_per_s: number;
  ratio: number;
  machine: string;
  date: string;
  [more: string]: unknown;
};
const f = (x: number) => x.toLocaleString('en-US', { maximumFractionDigits: x < 10 ? 2 : 1 });

/** What a bench adds beside the rates, in words. */
function notes(j: Line): string {
  const out: string[] = [];
  if (j.identical_files_share !== undefined)
    out.push(`${(100 * (j.identical_files_share as number)).toFixed(1)} % of files byte-identical`);
  if (j.scales !== undefined) {
    const ks = String(j.scales).split(',');
    for (const k of ks)
      out.push(
        `${k}×: ${f(j[`problems_per_s_${k}x`] as number)} problems/s, live ${f(j[`peak_live_mb_${k}x`] as number)} MB, ` +
          `RSS ${f(j[`peak_rss_mb_${k}x`] as number)} MB, cache ${f(j[`cache_mb_${k}x`] as number)} MB in ${j[`cache_files_${k}x`]} files, ` +
          `${j[`out_files_${k}x`]} files in the output`,
      );
    out.push(`live memory ${j.live_ratio}× from ${ks[0]}× to ${ks[ks.length - 1]}×`);
  }
  if (j.ratio_vs_mp_pool !== undefined)
    out.push(`${j.ratio_vs_mp_pool}× a multiprocessing.Pool without isolation`);
  if (j.ratio_vs_one_call_a_request !== undefined)
    out.push(
      `${j.ratio_vs_one_call_a_request}× the same pool sending one call a request; ${j.uses_per_request} uses of ` +
        `the program a request; the programs' own CPU ${j.own_cpu_ms} ms each`,
    );
  if (j.ratio_to_own_cpu !== undefined)
    out.push(`CPU in all processes ${j.ratio_to_own_cpu}× the programs' own`);
  if (j.trivial_program_cpu_ms !== undefined) {
    const t = j.trivial_program_ms as Record<string, number> | undefined;
    out.push(
      `${j.trivial_program_cpu_ms} ms CPU for a trivial program` +
        (t
          ? ` (the program's process ${t.programs}, runner ${t.runner}, judge ${t.judge}, Node ${t.node}; a bare Python fork and exit ${j.bare_fork_ms})`
          : ''),
    );
  }
  const faults = j.trivial_program_faults as Record<string, number> | undefined;
  if (faults)
    out.push(
      `page faults per trivial program: the program's process ${faults.programs}, runner ${faults.runner}, ` +
        `judge ${faults.judge}, at ${j.page_fault_us} µs each on this machine`,
    );
  return out.join('; ');
}

// rows of the benches not run this time are kept from the last RESULTS.md
const kept = new Map<string, string[]>();
try {
  for (const l of readFileSync(RESULTS, 'utf8').split('\n')) {
    const m = /^\| (\S+) \|/.exec(l);
    if (m && BENCHES.includes(m[1]!)) kept.set(m[1]!, [...(kept.get(m[1]!) ?? []), l]);
  }
} catch {
  // no earlier results
}
const rows = new Map<string, string[]>();
for (const b of new Set([...run, ...saved.keys()])) {
  process.stderr.write(`bench/${b}.ts …\n`);
  const r = saved.has(b)
    ? { status: 0, stdout: saved.get(b)!, stderr: '' }
    : spawnSync('npx', ['tsx', `bench/${b}.ts`], { encoding: 'utf8' });
  process.stdout.write(r.stdout);
  const lines = r.stdout
    .split('\n')
    .filter((l) => l.startsWith('{"bench"'))
    .map((l) => JSON.parse(l) as Line);
  if (r.status !== 0 || !lines.length) {
    rows.set(b, [
      `| ${b} | failed: ${(r.stderr.trim().split('\n').pop() ?? '').replace(/\|/g, '/')} | | | | | |`,
    ]);
    continue;
  }
  rows.set(
    b,
    lines.map(
      (j) =>
        `| ${b} | ${j.bench} | ${f(j.ours_per_s)} ${j.unit}/s | ${j.baseline}: ${f(j.baseline_per_s)} ${j.unit}/s | ` +
        `${j.ratio}× | ${notes(j)} | ${j.machine}, ${j.date} |`,
    ),
  );
}
writeFileSync(
  RESULTS,
  [
    '# Bench results',
    '',
    'Written by `npm run bench` (`bench/run-all.ts`). Each row is one result line of a bench: ours and the peer measured',
    'in the same run on the same input; the ratio is ours / the peer (above 1: we are faster). Rates move with the',
    "machine's load (a shared 2-core VM here), ratios much less; each bench's file says what it measures.",
    '',
    '| bench | what | ours | peer | ratio | notes | machine, date |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...BENCHES.flatMap((b) => rows.get(b) ?? kept.get(b) ?? []),
    '',
  ].join('\n'),
);
process.stderr.write('→ bench/RESULTS.md\n');
