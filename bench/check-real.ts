// The check stage on APPS-like programs where some candidates loop: the pipeline's own candidates (the
// mutation generator on the fixtures' reference solutions, a share of which never stop) checked at the
// default --test-timeout 5, with the time limits from each reference's CPU time (the default) and with
// the flat limit every test used to get (the baseline), in the same run. Reports candidates/s, the share
// of sandbox time spent in timeouts, and how many verdicts the reference limits change.
// Usage: npx tsx bench/check-real.ts [--input fixtures/apps.jsonl]
import { pipe } from 'rxjs';
import { cpus } from 'node:os';
import { RunContext } from '../lib/context.ts';
import { readProblems } from '../readers/index.ts';
import { MutationGenerator } from '../lib/generators/mutation.ts';
import { pullThrough } from '../lib/pull.ts';
import { ExecPool } from '../lib/sandbox/pool.ts';
import type { Candidate } from '../lib/schemas.ts';
import { DEFAULT_TIME_LIMITS, testLimits } from '../operators/check.ts';
import { fim } from '../operators/fim.ts';
import { format } from '../operators/format.ts';
import { generate } from '../operators/generate.ts';
import { label } from '../operators/label.ts';
import { solutions } from '../operators/solutions.ts';
import { split } from '../operators/split.ts';
import { report, seconds } from './common.ts';

const input = process.argv.includes('--input')
  ? process.argv[process.argv.indexOf('--input') + 1]!
  : new URL('../fixtures/apps.jsonl', import.meta.url).pathname;
const workers = cpus().length;
const ctx = new RunContext();
const pool = new ExecPool({ workers });
const candidates: Candidate[] = [];
for await (const c of pullThrough(
  readProblems(ctx, input),
  pipe(
    solutions(ctx),
    format(ctx),
    label(ctx, { pool }),
    split(ctx),
    fim(ctx),
    generate(ctx, { generator: new MutationGenerator() }),
  ),
  { concurrency: 4 },
))
  candidates.push(c);

/** Checks every candidate; wall seconds, CPU seconds in timeouts and in all programs, the verdicts. */
async function checkAll(perTest: boolean) {
  const t0 = process.hrtime.bigint();
  let timeoutCpu = 0;
  let cpu = 0;
  const verdicts = await Promise.all(
    candidates.map(async (c) => {
      const limits = perTest ? testLimits(c.ref_cpu_ms, DEFAULT_TIME_LIMITS) : undefined;
      const r = await pool.run({
        id: `${c.target_id}#${c.candidate_index}`,
        code: c.prefix + c.candidate + c.suffix,
        tests: c.problem.tests,
        ...(limits ? { test_cpu_s: limits } : {}),
      });
      cpu += (r.cpu_ms ?? 0) / 1000;
      if (r.verdict === 'timeout') timeoutCpu += (r.cpu_ms ?? 0) / 1000;
      return r.verdict;
    }),
  );
  return { secs: seconds(t0), timeoutCpu, cpu, verdicts };
}

const ours = await checkAll(true);
const flat = await checkAll(false);
await pool.close();
const changed = ours.verdicts.filter((v, i) => v !== flat.verdicts[i]);
const loops = flat.verdicts.filter((v) => v === 'timeout').length;
const share = (r: typeof ours) => (r.timeoutCpu / (r.secs * workers)) * 100;
console.log(
  `${candidates.length} candidates of ${new Set(candidates.map((c) => c.problem_id)).size} problems, ${loops} time out at the flat limit`,
);
console.log(
  `reference limits: ${(candidates.length / ours.secs).toFixed(1)} candidates/s, ${share(ours).toFixed(0)} % of sandbox time in timeouts`,
);
console.log(
  `flat 5 s limit:   ${(candidates.length / flat.secs).toFixed(1)} candidates/s, ${share(flat).toFixed(0)} % of sandbox time in timeouts`,
);
console.log(
  `verdicts changed by the reference limits: ${changed.length} of ${candidates.length} (${ours.verdicts
    .map((v, i) => (v !== flat.verdicts[i] ? `${flat.verdicts[i]}→${v}` : ''))
    .filter(Boolean)
    .join(', ')})`,
);
report({
  bench: 'check-real',
  unit: 'candidates',
  candidates: candidates.length,
  workers,
  ours_per_s: candidates.length / ours.secs,
  baseline: 'flat --test-timeout 5',
  baseline_per_s: candidates.length / flat.secs,
  timeout_share_pct: Number(share(ours).toFixed(1)),
  baseline_timeout_share_pct: Number(share(flat).toFixed(1)),
  verdicts_changed: changed.length,
});
