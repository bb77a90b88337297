import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExecPool, type ExecRequest, type ExecResult } from '../../../lib/sandbox/pool.ts';
import { Store } from '../../../lib/store.ts';
import { passFits, VerdictCache, type Executed } from '../../../lib/sandbox/verdict-cache.ts';

// The verdict cache answers three ways (lib/sandbox/verdict-cache.ts): the same request judged before, the same
// request running now, and a pass under other per-test limits that its measured times fit. Each is checked with
// the case where it must not answer.

const tests = { kind: 'call' as const, fn_name: 'f', inputs: [[3], [4]], outputs: [9, 16] };
// about 0.2 s of CPU a call, so the time limits below bite
const busy = 'def f(x):\n    n = 0\n    for i in range(12_000_000):\n        n += i\n    return x * x\n';
const req = (id: string, code: string, test_cpu_s?: number[]): ExecRequest => ({
  id,
  code,
  tests,
  ...(test_cpu_s ? { test_cpu_s } : {}),
});

describe('the verdict cache', function () {
  this.timeout(120_000);
  let dir: string;
  let pool: ExecPool;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sf-cache-'));
    pool = new ExecPool({ workers: 2, cacheDir: dir });
  });
  afterEach(async () => {
    await pool.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs a request once while its twin is running, and both get its verdict', async () => {
    const [a, b] = await Promise.all([pool.run(req('a', busy)), pool.run(req('b', busy))]);
    expect([a.verdict, b.verdict]).to.deep.equal(['pass', 'pass']);
    expect([a.id, b.id, a.cached, b.cached]).to.deep.equal(['a', 'b', false, true]);
    expect(pool.stats.programs).to.equal(1);
    // another program at the same time is no twin
    const [c, d] = await Promise.all([
      pool.run(req('c', busy)),
      pool.run(req('d', busy.replace('x * x', 'x + x'))),
    ]);
    expect([c.cached, d.verdict, d.cached]).to.deep.equal([true, 'fail', false]);
    expect(pool.stats.programs).to.equal(2);
  });

  it('the twin of a run whose verdict the judge did not decide runs on its own, and nothing is kept', async () => {
    const cache = new VerdictCache(dir, 'a version', 'strict');
    let runs = 0;
    // a slot that failed twice under the program: `execute` gives an undecided error
    const failed = (): Promise<Executed> => {
      runs++;
      const r: Executed = {
        id: 'x',
        verdict: 'error',
        tests: [],
        isolation: { tool: 'bwrap', uid: -1 },
        decided: false,
      };
      return new Promise((resolve) => setTimeout(() => resolve(r), 50));
    };
    const request = req('a', busy);
    const [a, b] = await Promise.all([
      cache.run(request, { test_cpu_s: 5 }, failed, () => {}),
      cache.run(request, { test_cpu_s: 5 }, failed, () => {}),
    ]);
    expect([runs, a.cached, b.cached]).to.deep.equal([2, false, false]);
    expect(Store.open(dir).table('verdicts').count()).to.equal(0);
  });

  it("answers per-test limits from a pass under the flat limit that its times fit, and runs again when they don't", async () => {
    const flat = await pool.run(req('flat', busy));
    expect(flat.verdict).to.equal('pass');
    const cpu = flat.tests.map((t) => t.cpu_ms!);
    expect(Math.min(...cpu)).to.be.above(100);
    // the golden candidate's case: 4 × the reference's own time per test
    const fits = await pool.run(
      req(
        'fits',
        busy,
        cpu.map((ms) => (4 * ms) / 1000),
      ),
    );
    expect([fits.verdict, fits.cached, pool.stats.programs]).to.deep.equal(['pass', true, 1]);
    // below its measured time it is run, and it times out
    const tight = await pool.run(req('tight', busy, [0.05, 0.05]));
    expect([tight.verdict, tight.cached, pool.stats.programs]).to.deep.equal(['timeout', false, 2]);
  });

  it('answers only a pass from other limits: a wrong answer under the flat limit is run again', async () => {
    const wrong = busy.replace('x * x', 'x * x if x == 3 else 0');
    const flat = await pool.run(req('flat', wrong));
    expect([flat.verdict, flat.tests.length]).to.deep.equal(['fail', 2]);
    const limited = await pool.run(req('limited', wrong, [2, 2]));
    expect([limited.verdict, limited.cached, pool.stats.programs]).to.deep.equal(['fail', false, 2]);
  });

  it("a pass is not carried where the program's wall time would not fit: a sleeping call, a slow start", async () => {
    // a call that sleeps 2.6 s passes under the flat limit (15 s of wall) and times out alone under 0.5 s (2.5 s);
    // a call or assert test's own wall time is not measured, so the whole run's time decides
    const sleeper = 'import time\ndef f(x):\n    time.sleep(2.6 if x == 3 else 0)\n    return x * x\n';
    expect((await pool.run(req('sleeps', sleeper))).verdict).to.equal('pass');
    const alone = await pool.run(req('sleeps-limited', sleeper, [0.5, 0.5]));
    expect([alone.verdict, alone.cached, pool.stats.programs]).to.deep.equal(['timeout', false, 2]);
    // 1.5 s at the module's top level is in no test, but in the run's time: more than half the new wall limit
    const slowStart = 'import time\ntime.sleep(1.5)\ndef f(x):\n    return x * x\n';
    expect((await pool.run(req('slow-start', slowStart))).verdict).to.equal('pass');
    const again = await pool.run(req('slow-start-limited', slowStart, [0.5, 0.5]));
    expect([again.cached, pool.stats.programs]).to.deep.equal([false, 4]);
  });

  it("a module that takes longer than its tests' wall limits together gets its verdict, and no slot is killed", async () => {
    // the module runs once under the flat limit (15 s of wall); Node's deadline was the tests' 2.5 s + 5 s alone
    const code = 'import time\ntime.sleep(8)\ndef f(x):\n    return x * x\n';
    const tests = { kind: 'call' as const, fn_name: 'f', inputs: [[3]], outputs: [9] };
    const r = await pool.run({ id: 'slow-module', code, tests, test_cpu_s: [0.5] });
    expect([r.verdict, pool.stats.deadline_kills, pool.stats.worker_restarts]).to.deep.equal(['pass', 0, 0]);
  });

  it('refuses per-test limits that are not CPU seconds, naming the program and the entry', async () => {
    const bad = { ...req('bad-limits', busy), test_cpu_s: [0.5, null as unknown as number] };
    let error: Error | undefined;
    await pool.run(bad).catch((e: Error) => (error = e));
    expect(error?.message).to.equal('program bad-limits: test_cpu_s[1] is null, not CPU seconds');
    expect(pool.stats.programs).to.equal(0);
  });

  it('a pass fits only within half the new CPU limit of each test and half the wall limit for the whole run', () => {
    const r = (cpu: number[], slot_ms = 100): ExecResult => ({
      id: 'x',
      verdict: 'pass',
      tests: cpu.map((cpu_ms) => ({ verdict: 'pass', ms: 0, cpu_ms })),
      slot_ms,
      isolation: { tool: 'bwrap', uid: 1 },
    });
    const { slot_ms: _s, ...older } = r([10]);
    expect(passFits(r([240]), 1, [0.5], 5)).to.equal(true);
    // the kernel's ticks read up to 10 ms low, and times vary: 260 ms of a 500 ms limit is too close
    expect(passFits(r([260]), 1, [0.5], 5), 'CPU over half').to.equal(false);
    // 0.5 s of CPU gives 2.5 s of wall: the whole run within 1.25 s
    expect(passFits(r([10], 1250), 1, [0.5], 5)).to.equal(true);
    expect(passFits(r([10], 1300), 1, [0.5], 5), 'wall over half').to.equal(false);
    expect(passFits(older, 1, [0.5], 5), 'no slot time (an older entry)').to.equal(false);
    // the pool's cap bounds a per-test limit
    expect(passFits(r([1500]), 1, [10], 2), 'cap').to.equal(false);
    expect(passFits(r([10, 10]), 3, [1, 1, 1], 5), 'tests missing').to.equal(false);
    expect(passFits({ ...r([10]), verdict: 'fail' }, 1, [1], 5), 'not a pass').to.equal(false);
  });
});
