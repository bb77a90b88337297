import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExecPool, type ExecRequest, type ExecResult } from '../../../lib/sandbox/pool.ts';
import { passFits } from '../../../lib/sandbox/verdict-cache.ts';

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

  it('a pass fits only if every test ran within both limits that follow from the new CPU limit', () => {
    const r = (tests: { cpu_ms: number; ms: number }[]): ExecResult => ({
      id: 'x',
      verdict: 'pass',
      tests: tests.map((t) => ({ verdict: 'pass', ...t })),
      isolation: { tool: 'bwrap', uid: 1 },
    });
    expect(passFits(r([{ cpu_ms: 400, ms: 500 }]), 1, [0.5], 5)).to.equal(true);
    expect(passFits(r([{ cpu_ms: 600, ms: 700 }]), 1, [0.5], 5), 'CPU over').to.equal(false);
    // a program that sleeps 2.6 s passes a 5 s limit (15 s of wall) but not 0.5 s (2.5 s of wall)
    expect(passFits(r([{ cpu_ms: 10, ms: 2600 }]), 1, [0.5], 5), 'wall over').to.equal(false);
    expect(passFits(r([{ cpu_ms: 10, ms: 2600 }]), 1, [1], 5)).to.equal(true);
    // the pool's cap bounds a per-test limit
    expect(passFits(r([{ cpu_ms: 3000, ms: 3000 }]), 1, [10], 2), 'cap').to.equal(false);
    expect(passFits(r([{ cpu_ms: 10, ms: 10 }]), 2, [1, 1], 5), 'a test missing').to.equal(false);
  });
});
