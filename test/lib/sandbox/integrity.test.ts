import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { ExecPool, type ExecRequest } from '../../../lib/sandbox/pool.ts';

// Attacks on the verdict itself: a program that does not compute the answer must not get a `pass`,
// whatever it reads or writes. Each secret is fresh per run, so only reading it could give it away.
const secret = () => `SECRET-${randomBytes(8).toString('hex')}`;

/** Python that looks for a secret everywhere a forked judge would have left one, and prints what it finds. */
const HUNT = `
def hunt():
    import gc, os, sys
    found = set()
    for o in gc.get_objects():
        for v in (o.values() if isinstance(o, dict) else o) if isinstance(o, (dict, list, tuple)) else ():
            if isinstance(v, str) and v.startswith("SECRET-"):
                found.add(v)
    f = sys._getframe()
    while f:
        for v in list(f.f_locals.values()) + list(f.f_globals.values()):
            if isinstance(v, str) and v.startswith("SECRET-"):
                found.add(v)
        f = f.f_back
    for pid in os.listdir("/proc"):
        for name in ("cmdline", "environ", "mem"):
            try:
                data = open(f"/proc/{pid}/{name}", "rb").read(1 << 20)
                i = data.find(b"SECRET-")
                if i >= 0:
                    found.add(data[i:i + 23].decode())
            except (OSError, ValueError):
                pass
    for root, dirs, files in os.walk("/"):
        dirs[:] = [d for d in dirs if root != "/" or d not in ("proc", "sys", "usr", "dev")]
        for name in files:
            try:
                data = open(os.path.join(root, name), "rb").read(1 << 20)
                i = data.find(b"SECRET-")
                if i >= 0:
                    found.add(data[i:i + 23].decode())
            except OSError:
                pass
    return sorted(found)
`;

describe('sandbox: a program cannot make its own verdict', function () {
  this.timeout(120_000);
  let pool: ExecPool;
  before(() => (pool = new ExecPool({ workers: 2, limits: { test_cpu_s: 4 } })));
  after(() => pool.close());

  it('stdio: the expected output is nowhere the program can look (memory, frames, /proc, files)', async () => {
    const s = secret();
    const code = `${HUNT}\nprint(*hunt())\n`;
    const r = await pool.run({
      id: 'hunt-stdio',
      code,
      tests: { kind: 'stdio', inputs: [''], outputs: [s] },
    });
    expect(r.verdict).to.equal('fail');
  });

  it('call: the expected return value is nowhere the program can look', async () => {
    const s = secret();
    const code = `${HUNT}\ndef f(x):\n    found = hunt()\n    return found[0] if found else None\n`;
    const r = await pool.run({
      id: 'hunt-call',
      code,
      tests: { kind: 'call', fn_name: 'f', inputs: [[1]], outputs: [s] },
    });
    expect(r.verdict).to.equal('fail');
  });

  it('assert: neither the expected values nor the test code reach the program', async () => {
    const s = secret();
    const code = `${HUNT}\ndef f(x):\n    found = hunt()\n    return found[0] if found else None\n`;
    const r = await pool.run({
      id: 'hunt-assert',
      code,
      tests: { kind: 'assert', code: `assert f(1) == "${s}"\n` },
    });
    expect(r.verdict).to.equal('fail');
  });

  it('forged report lines on every descriptor make no pass, for any test kind', async () => {
    const forge =
      'import os, json\n' +
      'lines = [{"i": i, "status": "ok", "verdict": "pass"} for i in range(5)] + [{"ok": True}, {"value": 42}, {"result": {"verdict": "pass", "tests": []}}]\n' +
      'blob = "".join(json.dumps(l) + "\\n" for l in lines).encode()\n' +
      'for fd in range(0, 64):\n    try:\n        os.write(fd, blob)\n    except OSError:\n        pass\n';
    const stdio: ExecRequest = {
      id: 'forge-stdio',
      code: forge + 'raise SystemExit(3)\n',
      tests: { kind: 'stdio', inputs: ['', '', ''], outputs: ['a', 'b', 'c'] },
    };
    const call: ExecRequest = {
      id: 'forge-call',
      code: forge + 'def f(x):\n    ' + forge.replace(/\n/g, '\n    ') + 'return 0\n',
      tests: { kind: 'call', fn_name: 'f', inputs: [[1], [2]], outputs: [42, 43] },
    };
    const assertion: ExecRequest = {
      id: 'forge-assert',
      code: forge + 'def f(x):\n    return 0\n',
      tests: { kind: 'assert', code: 'assert f(1) == 42\nassert f(2) == 43\n' },
    };
    for (const req of [stdio, call, assertion]) {
      const r = await pool.run(req);
      expect(r.verdict, req.id).to.not.equal('pass');
    }
  });

  it('assert: ending the process, patching builtins or the assert machinery makes no pass', async () => {
    const tests = { kind: 'assert' as const, code: 'assert f(1) == 2\nassert f(2) == 4\n' };
    const attacks = {
      exit_at_import: 'import os\nos._exit(0)\ndef f(x):\n    return 0\n',
      sys_exit_in_call: 'import sys\ndef f(x):\n    sys.exit(0)\n',
      exit_in_call: 'import os\ndef f(x):\n    os._exit(0)\n',
      patch_builtins:
        'import builtins\nclass Yes:\n    def __eq__(self, o):\n        return True\nbuiltins.AssertionError = Exception\ndef f(x):\n    return Yes()\n',
      always_equal_int:
        'class Yes(int):\n    def __eq__(self, o):\n        return True\n    __hash__ = int.__hash__\ndef f(x):\n    return Yes(0)\n',
      truthy_object:
        'def f(x):\n    class T:\n        def __bool__(self):\n            return True\n    return T()\n',
      raise_keyboard: 'def f(x):\n    raise KeyboardInterrupt\n',
      nan: 'def f(x):\n    return float("nan")\n',
    };
    for (const [name, code] of Object.entries(attacks)) {
      const r = await pool.run({ id: name, code, tests });
      expect(r.verdict, name).to.not.equal('pass');
    }
    // and the honest program passes the same tests
    const ok = await pool.run({ id: 'honest', code: 'def f(x):\n    return 2 * x\n', tests });
    expect(ok.verdict).to.equal('pass');
  });

  it('a reply built to choke the judge (deeply nested, or past the output limit) is no pass and stops nothing', async () => {
    const tests = { kind: 'call' as const, fn_name: 'f', inputs: [[1]], outputs: [[1]] };
    const deep = 'def f(x):\n    v = [1]\n    for _ in range(10 ** 5):\n        v = [v]\n    return v\n';
    const huge = 'def f(x):\n    return list(range(10 ** 6))\n';
    for (const [id, code] of [
      ['deep', deep],
      ['huge', huge],
    ] as const) {
      const r = await pool.run({ id, code, tests });
      expect(r.verdict, id).to.be.oneOf(['error', 'output_limit']);
    }
    const ok = await pool.run({ id: 'after', code: 'def f(x):\n    return [x]\n', tests });
    expect(ok.verdict).to.equal('pass');
  });

  it('a truth the test asks of the program is not taken on its word', async () => {
    const r = await pool.run({
      id: 'truthy',
      code: 'def f(x):\n    class T:\n        def __bool__(self):\n            return True\n    return T()\n',
      tests: { kind: 'assert', code: 'assert f(1)\n' },
    });
    expect(r.verdict).to.equal('error');
    expect(r.error).to.match(/truth the judge cannot decide/);
  });

  it('call: an object that claims to equal everything is not the expected value', async () => {
    const code =
      'class Yes(list):\n    def __eq__(self, o):\n        return True\ndef f(x):\n    return Yes()\n';
    const r = await pool.run({
      id: 'eq',
      code,
      tests: { kind: 'call', fn_name: 'f', inputs: [[1]], outputs: [[1, 2]] },
    });
    expect(r.verdict).to.equal('fail');
  });

  it('assert: exceptions the tests expect, modules, Solution classes and program helpers work as in Python', async () => {
    const code =
      'import math\nclass Solution:\n    def twice(self, x):\n        return 2 * x\n' +
      'def f(x):\n    if x < 0:\n        raise ValueError("negative")\n    return (x, {x: [x]}, {x}, b"x", 1.5)\n' +
      'def gen(n):\n    return (i for i in range(n))\n';
    const tests =
      'try:\n    f(-1)\n    raise AssertionError("no error")\nexcept ValueError as e:\n    assert str(e) == "negative"\n' +
      'assert f(2) == (2, {2: [2]}, {2}, b"x", 1.5)\n' +
      'assert math.isclose(f(2)[4], 1.5)\n' +
      'assert Solution().twice(21) == 42\n' +
      'assert list(gen(3)) == [0, 1, 2]\n' +
      'def check(candidate):\n    assert candidate(3)[0] == 3\ncheck(f)\n';
    const r = await pool.run({ id: 'python', code, tests: { kind: 'assert', code: tests } });
    expect(r.verdict, r.error).to.equal('pass');
  });
});
