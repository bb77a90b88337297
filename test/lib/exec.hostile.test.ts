import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { ExecPool, type ExecRequest } from '../../lib/exec.ts';

const stdio = (id: string, code: string, input = '', output = 'ok\n'): ExecRequest => ({
  id,
  code,
  tests: { kind: 'stdio', inputs: [input], outputs: [output] },
  limits: { test_cpu_s: 1, test_wall_s: 5, program_wall_s: 10 },
});

const normal = (i: number) => stdio(`normal-${i}`, 'print(int(input()) * 2)\n', `${i}\n`, `${i * 2}\n`);
const OUTSIDE = new URL(`../../fixtures/written-by-sandbox-${process.pid}.txt`, import.meta.url).pathname;
const HOST_TMP = `/tmp/structflow-escape-${process.pid}`;

describe('sandbox: hostile programs', function () {
  this.timeout(120_000);
  let pool: ExecPool;

  before(() => {
    process.env.SF_TEST_SECRET = 'hunter2'; // the worker must never pass this on
    pool = new ExecPool({ workers: 2 });
  });
  after(async () => {
    await pool.close();
    delete process.env.SF_TEST_SECRET;
  });

  it('an infinite loop times out on its CPU limit, is re-run once, and that is final', async () => {
    const r = await pool.run(stdio('loop', 'while True:\n    pass\n'));
    expect(r.verdict).to.equal('timeout');
    expect(r.retried).to.equal(true);
  });

  it('a fork bomb, by os.fork or by libc, does not hurt the machine and leaves no process behind', async () => {
    const r1 = await pool.run(stdio('forkbomb', 'import os\nwhile True:\n    os.fork()\n'));
    expect(r1.verdict).to.equal('error');
    const bomb = stdio(
      'cforkbomb',
      'import ctypes, time\nlibc = ctypes.CDLL(None)\nfor _ in range(200):\n    libc.fork()\ntime.sleep(30)\n',
    );
    const r2 = await pool.run({ ...bomb, limits: { ...bomb.limits, test_wall_s: 2 } });
    expect(['timeout', 'error']).to.include(r2.verdict);
    const uid = r2.isolation.uid;
    const left = execFileSync('ps', ['-e', '-o', 'uid='])
      .toString()
      .split('\n')
      .filter((u) => Number(u) === uid);
    expect(left, `processes of sandbox uid ${uid} still running`).to.deep.equal([]);
  });

  it('allocating 50 GiB is a memory verdict', async () => {
    const r = await pool.run(stdio('alloc', 'x = bytearray(50 * 1024 ** 3)\nprint("ok")\n'));
    expect(r.verdict).to.equal('memory');
  });

  it('printing 1 GB stops at the output limit', async () => {
    const r = await pool.run(
      stdio('print', 'import sys\nfor _ in range(10 ** 6):\n    sys.stdout.write("x" * 1000 + "\\n")\n'),
    );
    expect(r.verdict).to.equal('output_limit');
  });

  it('writing outside the working directory changes nothing outside it', async () => {
    const code = `for p in (${JSON.stringify(OUTSIDE)}, ${JSON.stringify(HOST_TMP)}):\n    try:\n        open(p, "w").write("x")\n    except OSError:\n        pass\nopen("inside.txt", "w").write("fine")\nprint("ok")\n`;
    const r = await pool.run(stdio('escape', code));
    expect(r.verdict).to.equal('pass'); // writing in its own directory works
    expect(existsSync(OUTSIDE)).to.equal(false);
    expect(existsSync(HOST_TMP)).to.equal(false);
  });

  it("cannot read the parent's environment", async () => {
    const code =
      'import os\nprint(os.environ.get("SF_TEST_SECRET"))\ntry:\n    print("SF_TEST_SECRET" in open(f"/proc/{os.getppid()}/environ").read())\nexcept OSError:\n    print("blocked")\n';
    const r = await pool.run(stdio('env', code, '', 'None\nFalse\n'));
    const r2 = await pool.run(stdio('env2', code, '', 'None\nblocked\n'));
    expect([r.verdict, r2.verdict]).to.include('pass');
  });

  it('cannot open a connection, even to a server on the loopback', async () => {
    let connections = 0;
    const server = createServer((s) => {
      connections++;
      s.destroy();
    });
    await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
    const port = (server.address() as AddressInfo).port;
    const r = await pool.run(
      stdio(
        'socket',
        `import socket\nsocket.create_connection(("127.0.0.1", ${port}), timeout=2)\nprint("ok")\n`,
      ),
    );
    server.close();
    expect(r.verdict).to.equal('error');
    expect(connections).to.equal(0);
    expect(r.isolation.network).to.be.oneOf(['netns', 'sockets-disabled']);
  });

  it('cannot kill its parent, with os.kill or libc', async () => {
    const r1 = await pool.run(
      stdio('kill1', 'import os, signal\nos.kill(os.getppid(), signal.SIGKILL)\nprint("ok")\n'),
    );
    const r2 = await pool.run(
      stdio('kill2', 'import ctypes, os\nctypes.CDLL(None).kill(os.getppid(), 9)\nprint("ok")\n'),
    );
    expect(r1.verdict).to.equal('error');
    expect(r2.verdict).to.equal('pass'); // the call fails with EPERM; the program goes on
    expect(pool.stats.worker_restarts).to.equal(0);
  });

  it('sys.exit(0) before printing is a wrong answer, not a pass', async () => {
    const r = await pool.run(stdio('exit', 'import sys\nsys.exit(0)\nprint("ok")\n'));
    expect(r.verdict).to.equal('fail');
  });

  it('deep recursion is an error, with or without a raised recursion limit', async () => {
    const r1 = await pool.run(stdio('rec1', 'def f(n):\n    return f(n + 1)\nf(0)\n'));
    const r2 = await pool.run(
      stdio('rec2', 'import sys\nsys.setrecursionlimit(10 ** 8)\ndef f(n):\n    return f(n + 1)\nf(0)\n'),
    );
    expect(r1.verdict).to.equal('error');
    expect(r1.error).to.match(/RecursionError/);
    // Python 3.11 keeps Python frames on the heap: whichever of memory, CPU or stack runs out first decides
    expect(['error', 'memory', 'timeout']).to.include(r2.verdict);
  });

  it('a segfault through ctypes is an error', async () => {
    const r = await pool.run(stdio('segv', 'import ctypes\nctypes.string_at(0)\n'));
    expect(r.verdict).to.equal('error');
    expect(r.error).to.match(/SIGSEGV/);
  });

  it('a thread that outlives the test does not hold the program', async () => {
    const code =
      'import threading, time\ndef spin():\n    while True:\n        time.sleep(0.01)\nthreading.Thread(target=spin).start()\nprint("ok")\n';
    const r = await pool.run(stdio('thread', code));
    expect(r.verdict).to.equal('pass');
  });

  it('after all that, the pool still serves ordinary programs at once', async () => {
    const rs = await Promise.all(Array.from({ length: 20 }, (_, i) => pool.run(normal(i))));
    expect(rs.map((r) => r.verdict)).to.deep.equal(Array(20).fill('pass'));
    // a leftover fork bomb or stuck worker would show here as seconds, not milliseconds
    expect(Math.max(...rs.map((r) => r.wall_ms ?? 0))).to.be.below(1000);
    expect(pool.stats.worker_restarts).to.equal(0);
  });

  it('a worker that dies is replaced and its program retried, then reported', async () => {
    const w = (pool as unknown as { workers: { proc: { pid: number } }[] }).workers[0]!;
    const slow = pool.run(stdio('victim', 'import time\ntime.sleep(0.5)\nprint("ok")\n'));
    setTimeout(() => process.kill(w.proc.pid, 'SIGKILL'), 100);
    const r = await slow;
    expect(r.verdict).to.equal('pass'); // retried on the fresh worker
    expect(pool.stats.worker_restarts).to.be.at.least(1);
    expect((await pool.run(normal(3))).verdict).to.equal('pass');
  });

  it('a pool whose workers cannot start says so instead of retrying forever', async () => {
    const broken = new ExecPool({ workers: 1, python: '/nonexistent/python3' });
    let err: Error | undefined;
    try {
      await broken.run(normal(1));
    } catch (e) {
      err = e as Error;
    }
    await broken.close();
    expect(err?.message).to.match(/execution workers cannot start/);
  });
});
