// Test-execution throughput: our warm fork-server pool against a naive harness that starts `python3` for
// every test (the reference's approach), same programs, same machine, one run.
// Usage: npx tsx bench/check.ts [--programs N]
import { spawnSync } from 'node:child_process';
import { cpus } from 'node:os';
import { ExecPool, resolvePython, type ExecRequest } from '../lib/sandbox/pool.ts';
import { argNumber, report, seconds } from './common.ts';

const N = argNumber('programs', 120);
// APPS-like stdio programs, 5–20 tests each: parse input, loop, print
const KINDS = [
  'n = int(input())\nxs = list(map(int, input().split()))\nprint(sum(x * x for x in xs) % 1000003)\n',
  'n = int(input())\nxs = sorted(map(int, input().split()))\nbest = 0\nfor i in range(1, n):\n    best = max(best, xs[i] - xs[i - 1])\nprint(best)\n',
  'import sys\ndata = sys.stdin.read().split()\nn = int(data[0])\nfrom collections import Counter\nc = Counter(data[1:n + 1])\nprint(max(c.values()))\n',
  'n = int(input())\nxs = list(map(int, input().split()))\ndp = [0] * (n + 1)\nfor i, x in enumerate(xs):\n    dp[i + 1] = max(dp[i], (dp[i - 1] if i else 0) + x)\nprint(dp[n])\n',
];
function expected(code: string, input: string): string {
  const r = spawnSync(resolvePython(), ['-c', code], { input });
  return r.stdout.toString();
}
const programs: ExecRequest[] = [];
for (let p = 0; p < N; p++) {
  const code = KINDS[p % KINDS.length]!;
  const nTests = 5 + (p % 16);
  const inputs = Array.from({ length: nTests }, (_, t) => {
    const n = 50 + ((p * 31 + t * 17) % 400);
    return `${n}\n${Array.from({ length: n }, (_, i) => (i * 7919 + p * 13 + t) % 1000).join(' ')}\n`;
  });
  programs.push({ id: `p${p}`, code, tests: { kind: 'stdio', inputs, outputs: [] } });
}
// expected outputs from one program per kind (outside the timing)
for (const pr of programs) {
  if (pr.tests.kind === 'stdio') pr.tests.outputs = pr.tests.inputs.map((i) => expected(pr.code, i));
}
const tests = programs.reduce((n, p) => n + (p.tests.kind === 'stdio' ? p.tests.inputs.length : 0), 0);

// ours: the pool, one worker per core
const pool = new ExecPool();
let t0 = process.hrtime.bigint();
const verdicts = await Promise.all(programs.map((p) => pool.run(p)));
const oursSecs = seconds(t0);
await pool.close();
if (verdicts.some((v) => v.verdict !== 'pass')) throw new Error('a bench program did not pass in the pool');

// naive: a fresh interpreter per test, as many at once as there are cores. It starts the real binary,
// not a pyenv shim (which would cost ~0.5 s more per start and flatter us).
const python = resolvePython();
t0 = process.hrtime.bigint();
const { spawn } = await import('node:child_process');
const jobs = programs.flatMap((p) =>
  p.tests.kind === 'stdio' ? p.tests.inputs.map((input, i) => ({ p, input, i })) : [],
);
let next = 0;
let naiveFail = 0;
await Promise.all(
  Array.from({ length: cpus().length }, async () => {
    while (next < jobs.length) {
      const job = jobs[next++]!;
      const out = await new Promise<string>((resolve) => {
        const child = spawn(python, ['-c', job.p.code]);
        let s = '';
        child.stdout.on('data', (d: Buffer) => (s += d.toString()));
        child.on('close', () => resolve(s));
        child.stdin.end(job.input);
      });
      if (job.p.tests.kind === 'stdio' && out.trim() !== job.p.tests.outputs[job.i]!.trim()) naiveFail++;
    }
  }),
);
const naiveSecs = seconds(t0);
if (naiveFail) throw new Error(`${naiveFail} naive runs gave a different answer`);

console.log(
  `${N} programs, ${tests} tests; pool ${oursSecs.toFixed(2)}s, naive ${naiveSecs.toFixed(2)}s (${python})`,
);
report({
  bench: 'check',
  unit: 'programs',
  programs: N,
  tests,
  ours_per_s: N / oursSecs,
  baseline: 'python started per test',
  baseline_per_s: N / naiveSecs,
});
