import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import { ROOT } from '../../../lib/root.ts';
import { ExecPool, type ExecRequest } from '../../../lib/sandbox/pool.ts';
import { Store } from '../../../lib/store.ts';

// Issue 35: nothing a program does outlives it, kernel state of the slot's own namespaces included, and
// the verdict is the whole run of the program. Every attack runs on a one-slot pool, right before its
// benign twin, which must pass as it does on a fresh slot.

const stdio = (id: string, code: string, inputs = ['1\n'], outputs = inputs): ExecRequest => ({
  id,
  code,
  tests: { kind: 'stdio', inputs, outputs },
  limits: { test_cpu_s: 1, program_wall_s: 20 },
});
/** Never raises: an attack that fails must not change its own verdict. */
const attempt = (line: string) => `try:\n    ${line}\nexcept Exception:\n    pass\n`;

/** Every path under /proc/sys, /sys and the top of /proc (what is not one process's) open for writing. */
const WRITABLE = `import os
found = []
def walk(root):
    for d, dirs, files in os.walk(root):
        for name in files:
            path = os.path.join(d, name)
            try:
                os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))
                found.append(path)
            except OSError:
                pass
walk("/proc/sys")
walk("/sys")
for name in os.listdir("/proc"):
    path = "/proc/" + name
    if not name.isdigit() and name not in ("self", "thread-self") and not os.path.isdir(path):
        try:
            os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))
            found.append(path)
        except OSError:
            pass
print(sorted(found))
`;

/** The slot's kernel settings a program in its namespaces could reach, and the scratch roots' mode,
 *  extended attributes and entries: what a later program could observe of an earlier one. The sandbox
 *  returns verdicts, not output, so the text comes back as the message of the program's own error. */
const SNAPSHOT = `import base64, os, zlib
lines = []
for d in ("/proc/sys/fs/mqueue", "/proc/sys/kernel"):
    for name in sorted(os.listdir(d)):
        if name in ("ns_last_pid", "random", "hostname", "domainname") or d.endswith("kernel") and not (
                name.startswith(("msg", "shm", "sem", "pid_max", "auto_msgmni"))):
            continue
        try:
            with open(os.path.join(d, name)) as f:
                lines.append(name + " " + f.read().strip())
        except OSError:
            pass
for root in ("/tmp", "/var/tmp", "/dev/shm", "/run", "/dev/mqueue"):
    st = os.stat(root)
    try:
        attrs = sorted(os.listxattr(root))
    except OSError:
        attrs = []
    lines.append(f"{root} {oct(st.st_mode)} {attrs} {sorted(os.listdir(root))}")
raise RuntimeError(base64.b64encode(zlib.compress("\\n".join(lines).encode(), 9)).decode())
`;

/** A correct program that starts threads and processes, as solutions do for a larger stack or in parallel. */
const THREADS_AND_FORKS = `import os, sys, threading, subprocess
threading.stack_size(1 << 26)
out = []
t = threading.Thread(target=lambda: out.append(int(input()) * 2))
t.start()
t.join()
pid = os.fork()
if pid == 0:
    os._exit(7)
assert os.waitpid(pid, 0)[1] >> 8 == 7
assert subprocess.run([sys.executable, "-c", "print(5)"], capture_output=True).stdout == b"5\\n"
print(out[0])
`;

describe('sandbox: nothing a program does outlives it (kernel state of the slot, the whole run)', function () {
  this.timeout(180_000);
  let pool: ExecPool;
  let fresh: string;

  /** The snapshot as the program saw it (the message of its error is the compressed text). */
  async function snapshot(p: ExecPool): Promise<string> {
    const r = await p.run(stdio('snapshot', SNAPSHOT, [''], ['']));
    const b64 = /RuntimeError: ([A-Za-z0-9+/=]+)/.exec(r.error ?? '')?.[1];
    if (!b64) throw new Error(`the snapshot program did not report: ${r.verdict} ${r.error}`);
    return inflateSync(Buffer.from(b64, 'base64')).toString();
  }

  before(async () => {
    pool = new ExecPool({ workers: 1 });
    fresh = await snapshot(pool);
    expect(fresh).to.match(/^pid_max \d+$/m);
    expect(fresh).to.include("/tmp 0o40755 [] ['work']");
  });
  after(() => pool.close());

  it('no path under /proc/sys, /sys or the top of /proc is open for writing to a program', async () => {
    const r = await pool.run(stdio('writable', WRITABLE, [''], ['[]\n']));
    expect(r.verdict, r.error).to.equal('pass');
  });

  it("changing the modules the runner loaded before forking (datetime, collections, math…) or the builtins is the program's own", async () => {
    // the runner imports these once so that a program's import costs nothing: each program is a fork of it
    const attack =
      'import builtins, collections, dataclasses, datetime, enum, hashlib, heapq, math, sys\n' +
      [
        'math.gcd = lambda a, b: 0',
        'collections.Counter = dict',
        'heapq.heappush = None',
        'datetime.timedelta = None',
        'dataclasses.dataclass = None',
        'enum.Enum = None',
        'hashlib.sha256 = None',
        'builtins.len = lambda x: 0',
        'sys.setrecursionlimit(50)',
        "sys.modules['itertools'] = None",
      ]
        .map(attempt)
        .join('') +
      'print(input())\n';
    expect((await pool.run(stdio('patch-modules', attack))).verdict).to.equal('pass');
    const twin =
      'import collections, dataclasses, datetime, enum, hashlib, heapq, itertools, math\n' +
      '@dataclasses.dataclass\nclass P:\n    x: int\n' +
      'class C(enum.Enum):\n    A = 1\n' +
      'h = []\nheapq.heappush(h, 2)\n' +
      'def deep(n):\n    return 0 if n == 0 else 1 + deep(n - 1)\n' +
      'print(math.gcd(4, 6), collections.Counter("aa")["a"], len(h), P(1).x, C.A.value, deep(500),\n' +
      '      datetime.timedelta(days=1).days, hashlib.sha256(b"").hexdigest()[:4], next(itertools.count(7)))\n';
    const r = await pool.run(stdio('modules-twin', twin, [''], ['2 2 1 1 1 500 1 e3b0 7\n']));
    expect(r.verdict, r.error).to.equal('pass');
  });

  it("writing the slot's sysctls (pid_max, mqueue and System V limits) fails and changes nothing for the next program", async () => {
    const attack =
      'import os\n' +
      [
        "open('/proc/sys/kernel/pid_max', 'w').write('301')",
        "open('/proc/sys/fs/mqueue/msg_max', 'w').write('1')",
        "open('/proc/sys/fs/mqueue/queues_max', 'w').write('0')",
        "open('/proc/sys/kernel/msgmax', 'w').write('1')",
        "open('/proc/sys/kernel/shmmax', 'w').write('1')",
        "open('/proc/sys/kernel/sem', 'w').write('1 1 1 1')",
      ]
        .map(attempt)
        .join('') +
      // push the PID counter past a lowered pid_max, so that the next fork would need a free PID below it
      'for _ in range(400):\n    pid = os.fork()\n    if pid == 0:\n        os._exit(0)\n    os.waitpid(pid, 0)\nprint(input())\n';
    expect((await pool.run(stdio('sysctl-attack', attack))).verdict).to.equal('pass');
    const twin = await pool.run(stdio('threads-and-forks', THREADS_AND_FORKS, ['21\n'], ['42\n']));
    expect(twin.verdict, twin.error).to.equal('pass');
    expect(await snapshot(pool)).to.equal(fresh);
  });

  it('extended attributes, ACLs and modes of the scratch roots go back: the next program sees clean mounts', async () => {
    // a default ACL on /tmp would give every file a later program makes there other permissions
    const acl = "bytes.fromhex('02000000' + '01000700ffffffff' + '04000700ffffffff' + '20000700ffffffff')";
    const attack =
      'import os\n' +
      ['/tmp', '/var/tmp', '/dev/shm', '/run', '/tmp/work']
        .flatMap((root) => [
          `os.setxattr('${root}', 'user.left', b'by the last program')`,
          `os.setxattr('${root}', 'system.posix_acl_default', ${acl})`,
        ])
        .map(attempt)
        .join('') +
      ['/tmp', '/var/tmp', '/dev/shm', '/run']
        .map((root) => attempt(`os.chmod('${root}', 0o1000)`))
        .join('') +
      // the attack must have worked in its own run, or it tests nothing
      "assert os.listxattr('/tmp') and os.stat('/run').st_mode & 0o7777 == 0o1000\nprint(input())\n";
    const r = await pool.run(stdio('xattr-attack', attack));
    expect(r.verdict, r.error).to.equal('pass');
    expect(await snapshot(pool)).to.equal(fresh);
    const twin =
      "import os\nfor d in ('/tmp', '/var/tmp', '/dev/shm', '/run'):\n    with open(d + '/f', 'w') as f:\n" +
      "        f.write('1')\n    assert oct(os.stat(d + '/f').st_mode) == '0o100600', d\nprint(input())\n";
    const written = await pool.run(stdio('write-scratch', twin));
    expect(written.verdict, written.error).to.equal('pass');
  });

  it('TCP connections left in TIME_WAIT retire the slot: the next program binds the same port', async () => {
    const attack =
      'import socket\ns = socket.socket()\ns.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n' +
      "s.bind(('127.0.0.1', 8765))\ns.listen()\nc = socket.create_connection(('127.0.0.1', 8765))\n" +
      'a, _ = s.accept()\na.close()\nc.close()\ns.close()\nprint(input())\n';
    const retired = pool.stats.slots_retired;
    expect((await pool.run(stdio('time-wait', attack))).verdict).to.equal('pass');
    expect(pool.stats.slots_retired).to.equal(retired + 1);
    const twin =
      "import socket\ns = socket.socket()\ns.bind(('127.0.0.1', 8765))\ns.listen()\nprint(input())\n";
    const r = await pool.run(stdio('bind', twin));
    expect(r.verdict, r.error).to.equal('pass');
    expect(pool.stats.slots_retired, 'a program that leaves no connection costs no slot').to.equal(
      retired + 1,
    );
  });

  // found by an outside attacker: descriptors sent over a Unix socket pair to itself outlive every process
  // until the kernel's collector runs, and hold what they are (ports, names, inotify instances, files)
  const inFlight = (hold: string) =>
    'import array, ctypes, os, socket, sys\nprint(input())\nsys.stdout.flush()\np, q = socket.socketpair()\n' +
    `fds = [p.fileno(), q.fileno()]\n${hold}` +
    "for s in (p, q):\n    s.sendmsg([b'x'], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array('i', fds))])\nos._exit(0)\n";

  it('ports, abstract names and inotify instances held in flight retire the slot: the next program has them', async () => {
    const hold =
      "u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\nu.bind(('127.0.0.1', 9999))\n" +
      "a = socket.socket(socket.AF_UNIX)\na.bind('\\0left')\na.listen()\n" +
      'fds += [u.fileno(), a.fileno()] + [ctypes.CDLL(None).inotify_init() for _ in range(120)]\n';
    expect((await pool.run(stdio('in-flight-sockets', inFlight(hold)))).verdict).to.equal('pass');
    const twin =
      "import ctypes, socket\nsocket.socket(socket.AF_INET, socket.SOCK_DGRAM).bind(('127.0.0.1', 9999))\n" +
      "socket.socket(socket.AF_UNIX).bind('\\0left')\n" +
      'fds = [ctypes.CDLL(None).inotify_init() for _ in range(100)]\nassert min(fds) >= 0\nprint(input())\n';
    const r = await pool.run(stdio('bind-udp-and-name', twin));
    expect(r.verdict, r.error).to.equal('pass');
  });

  it('files held open in flight retire the slot: the next program has the whole scratch space', async () => {
    const hold =
      "for d, n in (('/tmp', 17), ('/var/tmp', 5), ('/dev/shm', 5), ('/run', 2)):\n    for i in range(n):\n" +
      "        fd = os.open(f'{d}/f{i}', os.O_CREAT | os.O_RDWR, 0o600)\n        fds.append(fd)\n" +
      "        try:\n            for _ in range(16):\n                os.write(fd, b'1' * (1 << 20))\n" +
      '        except OSError:\n            pass\n';
    expect((await pool.run(stdio('in-flight-files', inFlight(hold)))).verdict).to.equal('pass');
    const twin =
      "import tempfile\nwith tempfile.TemporaryFile() as f:\n    f.write(b'0' * (8 << 20))\n" +
      "with open('/dev/shm/x', 'wb') as g:\n    g.write(b'1' * (1 << 20))\nprint(input())\n";
    const r = await pool.run(stdio('write-8-mib', twin));
    expect(r.verdict, r.error).to.equal('pass');
  });

  describe('a failure of the slot or the machine is not a verdict', () => {
    /** The runner of a one-slot pool: the child of its bwrap (the runner is PID 1 of its namespace). */
    const runnerPid = (p: ExecPool) => {
      const bwrap = p.processIds()[0]!;
      return Number(readFileSync(`/proc/${bwrap}/task/${bwrap}/children`, 'utf8').trim().split(' ')[0]);
    };
    const uidOf = (pid: number) =>
      Number(/^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);
    let dir: string;
    beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'sf-unhealthy-'))));
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it('a slot that can no longer start a thread costs no verdict: the program runs again on a fresh slot', async () => {
      const p = new ExecPool({ workers: 1, cacheDir: dir });
      try {
        await p.run(stdio('warm', 'print(input())\n'));
        // the machine runs short of processes for this slot only: two of the slot's uid in its namespace (the
        // idle runner is one), so the program's process starts and its thread does not (set as the slot's
        // own uid: root here lacks CAP_SYS_RESOURCE over another uid's limits)
        const runner = runnerPid(p);
        const uid = uidOf(runner);
        execFileSync('prlimit', ['--pid', String(runner), '--nproc=2'], {
          uid,
          gid: uid,
        });
        const r = await p.run(stdio('threads-and-forks', THREADS_AND_FORKS, ['21\n'], ['42\n']));
        expect(r.verdict, r.error).to.equal('pass');
        expect(p.stats.unhealthy_reruns).to.equal(1);
        expect(p.stats.slots_retired).to.equal(1);
        // the twin: a program's own error on a sound slot is its verdict, with no rerun
        expect((await p.run(stdio('own-error', 'raise ValueError(input())\n'))).verdict).to.equal('error');
        expect(p.stats.unhealthy_reruns).to.equal(1);
      } finally {
        await p.close();
      }
    });

    it('a machine that cannot start processes stops the run with the cause, and caches nothing', () => {
      // a Node process that lowers its own limit to three processes per uid once bubblewrap was checked: the
      // sandboxes it starts after that inherit it, so bwrap and its runner start and the runner's thread does not
      const script = join(dir, 'short.ts');
      writeFileSync(
        script,
        `import { execFileSync } from 'node:child_process';\n` +
          `import { requireBwrap } from ${JSON.stringify(join(ROOT, 'lib/sandbox/bwrap.ts'))};\n` +
          `import { ExecPool } from ${JSON.stringify(join(ROOT, 'lib/sandbox/pool.ts'))};\n` +
          'requireBwrap();\n' +
          "execFileSync('prlimit', ['--pid', String(process.pid), '--nproc=3:3']);\n" +
          `const p = new ExecPool({ workers: 1, cacheDir: ${JSON.stringify(dir)} });\n` +
          "p.run({ id: 'x', code: 'print(1)', tests: { kind: 'stdio', inputs: [''], outputs: ['1\\n'] } })\n" +
          "  .then((r) => console.log('verdict', r.verdict), (e) => console.log(e.constructor.name, e.message))\n" +
          '  .finally(() => p.close());\n',
      );
      const said = execFileSync('npx', ['tsx', script], { cwd: ROOT }).toString();
      expect(said).to.match(
        /^Fatal execution workers cannot start: the sandbox cannot start programs on this machine: cannot start/m,
      );
      expect(Store.open(dir).table('verdicts').count()).to.equal(0);
    });
  });

  describe('the verdict is the whole run of the program, as a plain run under the same harness', () => {
    it('output from atexit handlers and __del__ counts: an extra line fails, the fast-output template passes', async () => {
      const extra = "import atexit\natexit.register(lambda: print('extra'))\nprint(input())\n";
      expect((await pool.run(stdio('atexit-extra', extra))).verdict).to.equal('fail');
      const del = "class A:\n    def __del__(self):\n        print('extra')\na = A()\nprint(input())\n";
      expect((await pool.run(stdio('del-extra', del))).verdict).to.equal('fail');
      // the fast-output template: everything printed into a buffer, written to stdout at exit
      const template =
        'import atexit, io, sys\nbuf = io.StringIO()\nsys.stdout = buf\n' +
        'atexit.register(lambda: sys.__stdout__.write(buf.getvalue()))\nprint(int(input()) * 2)\n';
      const r = await pool.run(
        stdio('atexit-template', template, ['1\n', '2\n', '3\n'], ['2\n', '4\n', '6\n']),
      );
      expect(r.verdict, r.error).to.equal('pass');
    });

    it('__del__ at exit sees the globals, as at a plain exit; sys.exit with a status other than 0 is an error', async () => {
      const del = 'a = int(input())\nclass X:\n    def __del__(self):\n        print(a)\nx = X()\n';
      const r = await pool.run(stdio('del-globals', del));
      expect(r.verdict, r.error).to.equal('pass');
      const status = 'import sys\nprint(input())\nsys.exit(3)\n';
      const three = await pool.run(stdio('exit-3', status));
      expect([three.verdict, three.error]).to.deep.equal([
        'error',
        'ExitStatus: the program exited with status 3',
      ]);
      expect(
        (await pool.run(stdio('exit-message', "print(input())\nraise SystemExit('bye')\n"))).verdict,
      ).to.equal('error');
      for (const end of ['exit()', 'sys.exit(0)', 'sys.exit(None)'])
        expect((await pool.run(stdio(end, `import sys\nprint(input())\n${end}\n`))).verdict, end).to.equal(
          'pass',
        );
    });

    it("the program's own streams and daemon threads end with its test: the next tests run as in a plain run", async () => {
      // found by an outside attacker: `sys.stdin = open(0)` closed the next test's input when the harness
      // replaced it, so a correct program erred from its second test on (and that verdict was cached)
      const tests = ['1\n', '2\n', '3\n'];
      const own = {
        'sys.stdin = open(0)': 'import sys\nsys.stdin = open(0)\nprint(input())\n',
        'sys.stdout = open(1, "w")': 'import sys\nsys.stdout = open(1, "w")\nprint(input())\n',
        // a daemon thread dies at a plain run's exit; it must not print into the next test
        'a daemon thread that prints late':
          'import threading, time\ndef late():\n    time.sleep(0.05)\n    print("late")\n' +
          'threading.Thread(target=late, daemon=True).start()\nprint(input())\n',
        // the status a process gives the system has 8 bits: 256 is 0
        'sys.exit(256)': 'import sys\nprint(input())\nsys.stdout.flush()\nsys.exit(256)\n',
      };
      for (const [name, code] of Object.entries(own)) {
        const r = await pool.run(stdio(name, code, tests));
        expect(r.verdict, `${name}: ${r.error}`).to.equal('pass');
      }
    });

    it('an exit by signal is an error, even after the answer; a timeout only when the CPU limit was reached', async () => {
      const kill =
        'import os, signal, sys\nprint(input())\nsys.stdout.flush()\nos.kill(os.getpid(), signal.SIGKILL)\n';
      const killed = await pool.run(stdio('sigkill', kill));
      expect([killed.verdict, killed.error]).to.deep.equal(['error', 'killed by SIGKILL']);
      const atExit =
        'import atexit, os, signal\natexit.register(lambda: os.kill(os.getpid(), signal.SIGKILL))\nprint(input())\n';
      expect((await pool.run(stdio('sigkill-at-exit', atExit))).verdict).to.equal('error');
      const prof =
        'import os, signal\nsignal.signal(signal.SIGPROF, signal.SIG_DFL)\nos.kill(os.getpid(), signal.SIGPROF)\n';
      expect((await pool.run(stdio('sigprof', prof))).verdict).to.equal('error');
      // the twin: a real CPU overrun with the timer's handler removed is still a timeout
      const spin = 'import signal\nsignal.signal(signal.SIGPROF, signal.SIG_DFL)\nwhile True:\n    pass\n';
      const spun = await pool.run(stdio('spin', spin));
      expect(spun.verdict, spun.error).to.equal('timeout');
    });

    it('os._exit(0) after a flush passes on every test; without the flush the output is lost, as in a plain run', async () => {
      const flushed = 'import os, sys\nprint(int(input()) + 1)\nsys.stdout.flush()\nos._exit(0)\n';
      const r = await pool.run(stdio('exit0', flushed, ['1\n', '2\n', '3\n'], ['2\n', '3\n', '4\n']));
      expect(r.verdict, r.error).to.equal('pass');
      expect(r.tests.map((t) => t.verdict)).to.deep.equal(['pass', 'pass', 'pass']);
      const lost = 'import os\nprint(int(input()) + 1)\nos._exit(0)\n';
      expect((await pool.run(stdio('exit0-unflushed', lost, ['1\n'], ['2\n']))).verdict).to.equal('fail');
      const status3 = 'import os, sys\nprint(input())\nsys.stdout.flush()\nos._exit(3)\n';
      expect((await pool.run(stdio('exit3', status3))).verdict).to.equal('error');
    });
  });
});
