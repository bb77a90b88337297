import { expect } from 'chai';
import { execFileSync, spawn } from 'node:child_process';
import { cpus } from 'node:os';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { resolvePython } from '../../../lib/sandbox/bwrap.ts';
import { ExecPool, type ExecRequest, type Limits } from '../../../lib/sandbox/pool.ts';

const stdio = (id: string, code: string, input = '', output = 'ok\n'): ExecRequest => ({
  id,
  code,
  tests: { kind: 'stdio', inputs: [input], outputs: [output] },
  limits: { test_cpu_s: 1, program_wall_s: 10 },
});

/** A call test of `add(1, 2) == 3`, under the pool's limits. */
const addCall = (id: string, code: string): ExecRequest => ({
  id,
  code,
  tests: { kind: 'call', fn_name: 'add', inputs: [[1, 2]], outputs: [3] },
});
/** `req` with some of its limits changed. */
const limited = (req: ExecRequest, limits: Partial<Limits>): ExecRequest => ({
  ...req,
  limits: { ...req.limits, ...limits },
});

const normal = (i: number) => stdio(`normal-${i}`, 'print(int(input()) * 2)\n', `${i}\n`, `${i * 2}\n`);
const OUTSIDE = new URL(`../../../fixtures/written-by-sandbox-${process.pid}.txt`, import.meta.url).pathname;
const FIXTURE = new URL('../../../fixtures/apps.jsonl', import.meta.url).pathname;
const HOST_TMP = `/tmp/structflow-escape-${process.pid}`;

/** Processes owned by uid, anywhere on the machine. */
/** Live processes owned by uid, anywhere on the machine (zombies run nothing: this machine's init may be slow to reap). */
const processesOf = (uid: number) =>
  execFileSync('ps', ['-e', '-o', 'uid=,pid=,stat=,args='])
    .toString()
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter(([u, , stat]) => Number(u) === uid && !stat!.startsWith('Z'))
    .map((f) => f.join(' '));

/** Wall ms of 20 ordinary programs on the pool, all of which must pass. */
async function ordinaryBatch(pool: ExecPool): Promise<number> {
  const t0 = Date.now();
  const rs = await Promise.all(Array.from({ length: 20 }, (_, i) => pool.run(normal(i))));
  expect(rs.map((r) => r.verdict)).to.deep.equal(Array(20).fill('pass'));
  return Date.now() - t0;
}

describe('sandbox: hostile programs', function () {
  this.timeout(180_000);
  let pool: ExecPool;
  let before20 = 0;

  before(async () => {
    process.env.SF_TEST_SECRET = 'hunter2'; // the sandbox must never pass this on
    pool = new ExecPool({ workers: 2 });
    before20 = await ordinaryBatch(pool);
  });
  after(async () => {
    await pool.close();
    delete process.env.SF_TEST_SECRET;
    rmSync(HOST_TMP, { force: true });
  });

  describe('limits', () => {
    it('an infinite loop is a timeout on its CPU limit, final at once (a spent CPU budget is not retried)', async () => {
      const r = await pool.run(stdio('loop', 'while True:\n    pass\n'));
      expect(r.verdict).to.equal('timeout');
      expect(r.retried).to.equal(undefined);
    });

    it('a program that ignores the CPU timer is still stopped and timed out by the kernel', async () => {
      const code = 'import signal\nsignal.signal(signal.SIGPROF, signal.SIG_IGN)\nwhile True:\n    pass\n';
      const r = await pool.run(stdio('noalarm', code));
      expect(r.verdict).to.equal('timeout');
    });

    it('sleeping past the wall limit is a timeout that is run once more (the machine may be the cause)', async () => {
      const r = await pool.run(stdio('sleep', 'import time\ntime.sleep(60)\n'));
      expect(r.verdict).to.equal('timeout');
      expect(r.retried).to.equal(true);
    });

    it('a verdict does not depend on machine load: CPU time decides, not the wall clock', async () => {
      // about 0.4 s of CPU against a 1 s limit, with every core also busy with a spinning process
      const work = stdio('work', 'x = 0\nfor i in range(6 * 10 ** 6):\n    x += i\nprint("ok")\n');
      const quiet = await pool.run(work);
      const hogs = Array.from({ length: 2 * cpus().length }, () =>
        spawn(resolvePython(), ['-c', 'while True: pass'], { stdio: 'ignore' }),
      );
      try {
        const loaded = await Promise.all([pool.run(work), pool.run(work)]);
        expect([quiet, ...loaded].map((r) => r.verdict)).to.deep.equal(['pass', 'pass', 'pass']);
        expect(loaded.map((r) => r.retried)).to.deep.equal([undefined, undefined]);
      } finally {
        hogs.forEach((h) => h.kill('SIGKILL'));
      }
    });

    it('a fork bomb, by os.fork or by libc, does not hurt the machine and leaves no process behind', async () => {
      const r1 = await pool.run(stdio('forkbomb', 'import os\nwhile True:\n    os.fork()\n'));
      expect(r1.verdict).to.not.equal('pass');
      const r2 = await pool.run(
        stdio(
          'cforkbomb',
          'import ctypes, time\nlibc = ctypes.CDLL(None)\nfor _ in range(200):\n    libc.fork()\ntime.sleep(30)\n',
        ),
      );
      expect(['timeout', 'error']).to.include(r2.verdict);
      // only bwrap and the runner (PID 1 of the sandbox) are left of that uid
      expect(processesOf(r2.isolation.uid).length).to.equal(2);
    });

    it('allocating 50 GiB is a memory verdict', async () => {
      const r = await pool.run(stdio('alloc', 'x = bytearray(50 * 1024 ** 3)\nprint("ok")\n'));
      expect(r.verdict).to.equal('memory');
    });

    it('memory the address-space limit cannot see (System V IPC, memfd) is refused; mapped memory up to the limit is not', async () => {
      // each of these held 720-800 MB of the host's memory under a 256 MB limit before they were denied
      const hoard =
        'import ctypes, os\nlibc = ctypes.CDLL(None, use_errno=True)\n' +
        'print("shm", libc.shmget(0, 200 << 20, 0o1600), ctypes.get_errno())\n' +
        'print("sem", libc.semget(0, 1, 0o1600), ctypes.get_errno())\n' +
        'print("msg", libc.msgget(0, 0o1600), ctypes.get_errno())\n' +
        'try:\n    os.memfd_create("m")\n    print("memfd made")\nexcept OSError as e:\n    print("memfd", e.errno)\n';
      const small = (req: ExecRequest) => limited(req, { memory_mb: 256 });
      const r = await pool.run(small(stdio('hoard', hoard, '', 'shm -1 1\nsem -1 1\nmsg -1 1\nmemfd 1\n')));
      expect(r.verdict, r.error).to.equal('pass'); // -1 and EPERM (1) for every call
      const twin = 'x = bytearray(150 << 20)\nx[-1] = 1\nprint("ok")\n';
      expect((await pool.run(small(stdio('mapped', twin)))).verdict).to.equal('pass');
    });

    it('memory is counted for the whole program: children that together pass the limit are stopped, a few small ones are not', async () => {
      // RLIMIT_AS bounds each process: ten forked children of 35 MB each held 288 MB of the host under a 64 MB limit
      const children = (n: number, mb: number) =>
        `import os, time\npids = []\nfor _ in range(${n}):\n    pid = os.fork()\n    if pid == 0:\n` +
        `        x = bytearray(${mb} << 20)\n        time.sleep(1.5)\n        os._exit(0)\n    pids.append(pid)\n` +
        'for p in pids:\n    os.waitpid(p, 0)\nprint("ok")\n';
      // CPU enough that the page faults of 400 MB (12 µs each on a small VM) never make it a timeout first
      const small = (req: ExecRequest) => limited(req, { test_cpu_s: 5, program_wall_s: 20, memory_mb: 256 });
      const r = await pool.run(small(stdio('children', children(8, 50))));
      expect(r.verdict).to.equal('memory');
      expect(JSON.stringify(r)).to.match(/processes together held more memory than its limit/);
      expect((await pool.run(small(stdio('few', children(2, 20))))).verdict).to.equal('pass');
      // and what a socket holds unread, kernel memory, stays at the default buffer size
      const sock =
        'import socket\na, b = socket.socketpair()\ntry:\n    a.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)\n' +
        'except PermissionError:\n    print("denied")\na.sendall(b"x" * 1000)\nprint(len(b.recv(2000)))\n';
      expect((await pool.run(stdio('sockbuf', sock, '', 'denied\n1000\n'))).verdict).to.equal('pass');
    });

    it('making more files and directories than the scratch limit stops the program; a thousand files are fine', async () => {
      // tmpfs caps bytes, not inodes: nested directories made in 1.5 s of CPU took the runner about 7 s to wipe
      const chain = 'import os\nos.chdir("/dev/shm")\nwhile True:\n    os.mkdir("a")\n    os.chdir("a")\n';
      const t0 = Date.now();
      const r = await pool.run(limited(stdio('chain', chain), { test_cpu_s: 5, program_wall_s: 20 }));
      expect(r.verdict).to.equal('error');
      expect(JSON.stringify(r)).to.match(/more files and directories than the scratch limit/);
      expect(Date.now() - t0).to.be.below(5000); // stopped at the limit, long before its CPU ran out
      const inCall =
        'import os\ndef add(a, b):\n    os.chdir("/tmp")\n    while True:\n        os.mkdir("a")\n        os.chdir("a")\n';
      const c = await pool.run(limited(addCall('chain-call', inCall), { test_cpu_s: 5, program_wall_s: 20 }));
      expect(c.verdict).to.equal('error');
      expect(JSON.stringify(c)).to.match(/more files and directories than the scratch limit/);
      const many =
        'import os\nfor i in range(1000):\n    open(f"f{i}", "w").close()\nos.makedirs("/tmp/" + "d/" * 100)\nprint("ok")\n';
      expect((await pool.run(stdio('thousand', many))).verdict).to.equal('pass');
    });

    it('printing 1 GB, or 10 MiB at once, stops at the 1 MiB output limit', async () => {
      const r = await pool.run(
        stdio('print', 'import sys\nfor _ in range(10 ** 6):\n    sys.stdout.write("x" * 1000 + "\\n")\n'),
      );
      expect(r.verdict).to.equal('output_limit');
      const r2 = await pool.run(stdio('print10', 'import os\nos.write(1, b"x" * (10 << 20))\n'));
      expect(r2.verdict).to.equal('output_limit');
      const big = 'x'.repeat((1 << 20) - 1);
      const r3 = await pool.run(
        stdio('print1', `import sys\nsys.stdout.write("x" * ${big.length})\n`, '', big),
      );
      expect(r3.verdict).to.equal('pass'); // just under the limit is an ordinary answer
    });

    it('deep recursion is an error, with or without a raised recursion limit', async () => {
      const r1 = await pool.run(stdio('rec1', 'def f(n):\n    return f(n + 1)\nf(0)\n'));
      const r2 = await pool.run(
        stdio('rec2', 'import sys\nsys.setrecursionlimit(10 ** 8)\ndef f(n):\n    return f(n + 1)\nf(0)\n'),
      );
      expect(r1.verdict).to.equal('error');
      expect(r1.error).to.match(/RecursionError/);
      expect(['error', 'memory', 'timeout']).to.include(r2.verdict);
    });

    it('a segfault through ctypes is an error', async () => {
      const r = await pool.run(stdio('segv', 'import ctypes\nctypes.string_at(0)\n'));
      expect(r.verdict).to.equal('error');
      expect(r.error).to.match(/SIGSEGV/);
    });

    it('sys.exit(0) before printing is a wrong answer; a daemon thread that outlives the test does not hold it', async () => {
      expect((await pool.run(stdio('exit', 'import sys\nsys.exit(0)\nprint("ok")\n'))).verdict).to.equal(
        'fail',
      );
      const code =
        'import threading, time\ndef spin():\n    while True:\n        time.sleep(0.01)\nthreading.Thread(target=spin, daemon=True).start()\nprint("ok")\n';
      expect((await pool.run(stdio('thread', code))).verdict).to.equal('pass');
    });

    it('non-daemon threads run to their end, as at interpreter exit: the answer a thread prints after the module is heard', async () => {
      // competitive solutions start main in a thread for a larger stack, and do not join it
      const code =
        'import sys, threading, time\nthreading.stack_size(1 << 26)\ndef main():\n    time.sleep(0.2)\n    print(int(sys.stdin.readline()) * 2)\n' +
        'threading.Thread(target=main).start()\n';
      const r = await pool.run({
        ...stdio('main-thread', code),
        tests: { kind: 'stdio', inputs: ['2\n', '5\n'], outputs: ['4\n', '10\n'] },
      });
      expect(r.verdict, r.error).to.equal('pass');
      const forever =
        'import threading\ndef spin():\n    while True:\n        pass\nthreading.Thread(target=spin).start()\nprint("ok")\n';
      expect((await pool.run(stdio('spin-thread', forever))).verdict).to.equal('timeout');
    });

    it('a child that keeps the output open does not hold the test; one that writes after the program ended is not heard', async () => {
      const t0 = Date.now();
      const held =
        'import os, sys, time\nprint("ok")\nsys.stdout.flush()\nif os.fork() == 0:\n    time.sleep(30)\n';
      expect((await pool.run(stdio('held', held))).verdict).to.equal('pass'); // the answer was right
      expect(Date.now() - t0).to.be.below(5_000); // not the 30 s the child sleeps, nor the wall limit
      // the answer written by a child (also a setsid daemon) after the program ended is not the program's
      const late = (setsid: string) =>
        `import os, sys, time\nif os.fork() == 0:\n${setsid}    time.sleep(0.3)\n    os.write(1, b"ok\\n")\n    time.sleep(5)\n`;
      for (const code of [late(''), late('    os.setsid()\n')])
        expect((await pool.run(stdio('late', code))).verdict).to.equal('fail');
    });
  });

  describe('the judge never blocks on, follows or over-reads what a program leaves', () => {
    it('symlinks to root-only files, /dev/zero and FIFOs where outputs used to be change nothing', async () => {
      const code =
        'import os\nfor i in range(3):\n    for name, make in ((f"stdout-{i}", lambda p: os.symlink("/dev/zero", p)), (f"stdout-fifo-{i}", os.mkfifo)):\n' +
        '        for d in (".", "/tmp", "/dev/shm"):\n            try:\n                make(os.path.join(d, name))\n            except OSError:\n                pass\nprint("ok")\n';
      const t0 = Date.now();
      const r = await pool.run(stdio('links', code));
      expect(r.verdict).to.equal('pass');
      expect(Date.now() - t0).to.be.below(5000);
    });

    it('a partial line or a FIFO on every descriptor does not hold the pool: the test times out, the pool goes on', async () => {
      const code =
        'import os, time\nfor fd in range(64):\n    try:\n        os.write(fd, b\'{"i": 0, "status": "ok"\')\n    except OSError:\n        pass\n' +
        'os.mkfifo("f")\ntry:\n    os.open("f", os.O_RDONLY)\nexcept OSError:\n    pass\ntime.sleep(100)\n';
      const t0 = Date.now();
      const [r, ok] = await Promise.all([pool.run(stdio('partial', code)), pool.run(normal(5))]);
      expect(r.verdict).to.equal('timeout');
      expect(ok.verdict).to.equal('pass');
      expect(Date.now() - t0).to.be.below(20_000); // 2 × the 3 s wall limit, with room
    });

    it("a forged reply the runner cannot afford to read is the program's error and costs the runner nothing", async () => {
      // the runner reads a reply only for its "stop" key: a long number stays text there (int() of a million
      // digits took it 4 s, charged to no program); the judge, whose time is charged, reads the number itself
      const read = (line: string) =>
        execFileSync(
          resolvePython(),
          [
            '-c',
            `import sys\nsys.path.insert(0, "python")\nimport sandbox_runner as r\nprint(repr(r.read_message(sys.stdin.buffer.read())))`,
          ],
          {
            input: line,
          },
        )
          .toString()
          .trim();
      expect(read(`{"stop": 1${'0'.repeat(1_000_000)}}`)).to.equal(`{'stop': '1${'0'.repeat(1_000_000)}'}`);
      expect(read('{"i": 12345678901234567890}')).to.equal("{'i': 12345678901234567890}");
      expect(read('['.repeat(200_000))).to.equal('None'); // too deep: unreadable, not the runner's RecursionError
      const deep = 'import os\ndef add(a, b):\n    os.write(4, b"[" * 200000 + b"\\n")\n    return a + b\n';
      const r = await pool.run(addCall('deep-reply', deep));
      expect(r.verdict).to.equal('error');
      expect(r.error ?? JSON.stringify(r.tests)).to.not.match(/runner:|RecursionError/);
      const ok = await pool.run(addCall('twin', 'def add(a, b):\n    return a + b\n'));
      expect(ok.verdict).to.equal('pass');
    });

    it('a runner that stops answering is killed at its deadline and replaced; its request is a timeout', async () => {
      const pool = new ExecPool({ workers: 1 });
      const req = {
        ...stdio('stopped', 'import time\ntime.sleep(0.5)\nprint("ok")\n'),
        limits: { test_cpu_s: 0.2, program_wall_s: 0.5 },
      };
      type Slots = { slots: { started: Promise<void>; runner: { proc: { pid: number } } }[] };
      const slots = (pool as unknown as Slots).slots;
      const ready = new Set<number>();
      const stopRunners = setInterval(() => {
        for (const s of slots) void s.started.then(() => ready.add(s.runner.proc.pid));
        // SIGSTOP the runner itself (the child of bwrap) once it has started, as a wedged runner would be
        for (const pid of ready)
          for (const child of childrenOf(pid))
            try {
              process.kill(child, 'SIGSTOP');
            } catch {
              // gone
            }
      }, 20);
      const t0 = Date.now();
      const r = await pool.run(req);
      clearInterval(stopRunners);
      expect(r.verdict).to.equal('timeout');
      expect(r.error).to.match(/deadline/);
      expect(Date.now() - t0).to.be.below(30_000);
      expect(pool.stats.deadline_kills).to.equal(2); // the program is tried once more on a fresh slot
      expect(pool.stats.worker_restarts).to.equal(2);
      expect((await pool.run(normal(7))).verdict).to.equal('pass');
      await pool.close();
    });
  });

  describe('each program starts from the same clean state', () => {
    let one: ExecPool;
    before(() => (one = new ExecPool({ workers: 1 })));
    after(() => one.close());

    it('full /tmp, /dev/shm, /run, /var/tmp and SysV/POSIX IPC left behind are gone for the next program', async () => {
      const fill =
        'import os, ctypes\nfor d in ("/tmp", "/dev/shm", "/run", "/var/tmp", "/run/lock", "/var/lock"):\n    try:\n' +
        '        with open(os.path.join(d, "junk"), "wb") as f:\n            while True:\n                f.write(b"x" * (1 << 20))\n    except OSError:\n        pass\n' +
        'libc = ctypes.CDLL(None)\nlibc.shmget(0x5f5f, 1 << 20, 0o1666)\nlibc.semget(0x5f5f, 1, 0o1666)\nlibc.msgget(0x5f5f, 0o1666)\n' +
        'open("/dev/mqueue/q", "w").close() if os.path.isdir("/dev/mqueue") else None\n' +
        'os.mkdir("/tmp/locked")\nos.chmod("/tmp/locked", 0)\nprint("ok")\n';
      expect(
        (await one.run({ ...stdio('fill', fill), limits: { test_cpu_s: 3, file_bytes: 1 << 30 } })).verdict,
      ).to.equal('pass');
      const look =
        'import os\nleft = []\nfor d in ("/tmp", "/dev/shm", "/run", "/var/tmp", "/dev/mqueue"):\n    left += [os.path.join(d, n) for n in os.listdir(d) if n != "work"]\n' +
        'for k in ("shm", "sem", "msg"):\n    left += open(f"/proc/sysvipc/{k}").read().splitlines()[1:]\n' +
        'open("/tmp/after.txt", "w").write("x" * 1000)\nprint(left)\n';
      const r = await one.run(stdio('look', look, '', '[]\n'));
      expect(r.verdict, r.error).to.equal('pass');
    });

    it('zombies, orphans and daemons are gone: the next program can start threads, and no process is left', async () => {
      const leave =
        'import os, time\nfor _ in range(10):\n    if os.fork() == 0:\n        os._exit(0)\n' + // zombies
        'if os.fork() == 0:\n    os.setsid()\n    if os.fork() == 0:\n        time.sleep(20)\n        open("/tmp/daemon-was-here", "w").write("x")\n    os._exit(0)\n' +
        'print("ok")\n';
      expect((await one.run(stdio('leave', leave))).verdict).to.equal('pass');
      const check =
        'import os, threading\nts = [threading.Thread(target=lambda: None) for _ in range(12)]\n[t.start() for t in ts]\n[t.join() for t in ts]\n' +
        'print(sorted(int(p) for p in os.listdir("/proc") if p.isdigit() and int(p) != os.getpid()))\n';
      const r = await one.run(stdio('threads', check, '', '[1]\n'));
      expect(r.verdict, r.error).to.equal('pass'); // PID 1 is the runner; nothing else
    });
  });

  describe('nothing reaches the host', () => {
    let servers: Server[] = [];
    after(() => servers.forEach((s) => s.close()));

    it('no connection, to the loopback, a host unix socket or an abstract socket', async () => {
      let connections = 0;
      const listen = (path: string | number) =>
        new Promise<Server>((res) => {
          const s = createServer((c) => {
            connections++;
            c.destroy();
          });
          if (typeof path === 'number') s.listen(0, '127.0.0.1', () => res(s));
          else s.listen(path, () => res(s));
        });
      const tcp = await listen(0);
      const sock = `/tmp/sf-host-${process.pid}.sock`;
      const abstract = `\0sf-host-${process.pid}`;
      servers = [tcp, await listen(sock), await listen(abstract)];
      const port = (tcp.address() as AddressInfo).port;
      const code =
        `import socket\nok = 0\nfor family, addr in ((socket.AF_INET, ("127.0.0.1", ${port})), (socket.AF_UNIX, ${JSON.stringify(sock)}), (socket.AF_UNIX, "\\0sf-host-${process.pid}"), (socket.AF_UNIX, "/run/systemd/journal/socket")):\n` +
        '    s = socket.socket(family)\n    s.settimeout(2)\n    try:\n        s.connect(addr)\n        ok += 1\n    except OSError:\n        pass\nprint("connected", ok)\n';
      const r = await pool.run(stdio('sockets', code, '', 'connected 0\n'));
      expect(r.verdict, r.error).to.equal('pass');
      expect(connections).to.equal(0);
    });

    it('no write persists on the host, no file of the project is readable, no privilege can be gained', async () => {
      const code =
        `import os\nfor p in (${JSON.stringify(OUTSIDE)}, ${JSON.stringify(HOST_TMP)}, "/run/lock/sf", "/var/lock/sf", "/etc/sf", "/usr/sf"):\n    try:\n        open(p, "w").write("x")\n    except OSError:\n        pass\n` +
        `for p in (${JSON.stringify(FIXTURE)}, "/etc/shadow", "/root/.bashrc"):\n    try:\n        open(p).read()\n        print("read", p)\n    except OSError:\n        pass\n` +
        'status = dict(l.split(":", 1) for l in open("/proc/self/status"))\nprint(status["NoNewPrivs"].strip(), status["CapEff"].strip())\n' +
        'open("inside.txt", "w").write("fine")\n';
      const r = await pool.run(stdio('escape', code, '', '1 0000000000000000\n'));
      expect(r.verdict, r.error).to.equal('pass');
      expect(existsSync(OUTSIDE)).to.equal(false);
      expect(existsSync(HOST_TMP)).to.equal(false);
      expect(readdirSync('/run/lock')).to.not.include('sf');
    });

    it("cannot read the parent's environment, signal or trace the runner", async () => {
      const code =
        'import os, signal, ctypes\nprint(os.environ.get("SF_TEST_SECRET"))\n' +
        'for p in (f"/proc/{os.getppid()}/environ", "/proc/1/mem", "/proc/1/environ"):\n    try:\n        print("hunter2" in open(p, "rb").read(1 << 16).decode("latin-1"))\n    except OSError:\n        print("blocked")\n' +
        'os.kill(1, signal.SIGKILL)\nos.kill(1, signal.SIGSTOP)\nprint(ctypes.CDLL(None).ptrace(16, 1, 0, 0))\n';
      const r = await pool.run(stdio('env', code, '', 'None\nblocked\nblocked\nblocked\n-1\n'));
      expect(r.verdict, r.error).to.equal('pass');
      expect((await pool.run(normal(2))).verdict).to.equal('pass');
    });

    it("legitimate imports work: Debian's numpy, and the programs' own packages (sortedcontainers)", async function () {
      if (!existsSync('/usr/lib/python3/dist-packages/numpy')) this.skip(); // .ci/run installs python3-numpy
      const code =
        'import numpy as np\nfrom sortedcontainers import SortedList\ns = SortedList([3, 1, 2])\nprint(int(np.array([1, 2, 3]).sum()), list(s))\n';
      const r = await pool.run({ ...stdio('imports', code, '', '6 [1, 2, 3]\n'), limits: { test_cpu_s: 5 } });
      expect(r.verdict, r.error).to.equal('pass');
    });
  });

  describe('after all that', () => {
    it('the pool serves ordinary programs at the speed it had before the hostile batch', async () => {
      const after20 = await ordinaryBatch(pool);
      expect(after20).to.be.below(2 * before20 + 500);
    });

    it('a slot that dies is replaced and its program retried, then reported', async () => {
      const slots = (pool as unknown as { slots: { runner: { proc: { pid: number } } }[] }).slots;
      const slow = pool.run(stdio('victim', 'import time\ntime.sleep(0.5)\nprint("ok")\n'));
      setTimeout(() => slots.forEach((s) => process.kill(s.runner.proc.pid, 'SIGKILL')), 150);
      const r = await slow;
      expect(r.verdict).to.equal('pass'); // retried on the fresh slot
      expect(pool.stats.worker_restarts).to.be.at.least(1);
      expect((await pool.run(normal(3))).verdict).to.equal('pass');
    });

    it('closing the pool leaves no process of any sandbox uid', async () => {
      const p = new ExecPool({ workers: 1 });
      const r = await p.run(
        stdio(
          'daemon',
          'import os, time\nif os.fork() == 0:\n    os.setsid()\n    time.sleep(30)\nprint("ok")\n',
        ),
      );
      await p.close();
      await new Promise((res) => setTimeout(res, 300));
      expect(processesOf(r.isolation.uid)).to.deep.equal([]);
      expect(processesOf(r.isolation.uid + 1)).to.deep.equal([]);
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
});

function childrenOf(pid: number): number[] {
  try {
    return execFileSync('ps', ['--ppid', String(pid), '-o', 'pid='])
      .toString()
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}
