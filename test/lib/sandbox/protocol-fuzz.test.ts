import { expect } from 'chai';
import fc from 'fast-check';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { ROOT } from '../../../lib/root.ts';
import { resolveSandboxPython } from '../../../lib/sandbox/bwrap.ts';
import { ProcFailure, SandboxProc } from '../../../lib/sandbox/proc.ts';
import {
  JudgeMessage,
  JudgeTestsMessage,
  PROTOCOL_VERSION,
  RunnerFrame,
} from '../../../lib/sandbox/protocol.ts';

// Random and truncated messages at every hop of the sandbox protocol (Node → runner, Node ↔ judge,
// process → Node): no process may crash or stop serving, and no verdict may be `pass`.

const python = () => resolveSandboxPython();
const UID = 65_000;
const Any = z.record(z.string(), z.unknown());
const value = fc.jsonValue({ maxDepth: 3 });
/** Messages shaped like requests, with random fields, and lines that are not messages at all. */
const request = fc.record(
  {
    op: fc.oneof(
      fc.constantFrom('run', 'open', 'rpc', 'close', 'stdio_tests', 'stdio_verdict', 'call', 'assert'),
      value,
    ),
    code: fc.oneof(fc.string({ maxLength: 40 }), value),
    inputs: fc.oneof(fc.array(fc.string({ maxLength: 20 }), { maxLength: 3 }), value),
    outputs: value,
    limits: fc.oneof(value, fc.record({ test_cpu_s: fc.oneof(fc.double(), value), output_bytes: value })),
    msg: fc.oneof(fc.string({ maxLength: 40 }), value),
    test_cpu_s: value,
    i: value,
    n: value,
    expected: value,
    observed: value,
    tests: value,
    opened: value,
  },
  { requiredKeys: [] },
);
const line = fc.oneof(
  fc.string({ maxLength: 60 }),
  value.map((v) => JSON.stringify(v)),
  request.map((r) => JSON.stringify(r)),
  fc.tuple(request, fc.nat()).map(([r, k]) => JSON.stringify(r).slice(0, k)), // truncated
);

async function start(script: string, extra: string[] = [], maxFrame?: number): Promise<SandboxProc> {
  const p = new SandboxProc(script, python(), UID, extra, maxFrame);
  await p.started;
  return p;
}

/** A stdio run the runner must still serve correctly. */
async function sane(runner: SandboxProc): Promise<void> {
  runner.send({ op: 'run', code: 'print(int(input()) + 1)\n', inputs: ['41\n'], limits: { test_cpu_s: 2 } });
  const frame = await runner.next(RunnerFrame, 20_000);
  const end = await runner.next(RunnerFrame, 20_000);
  runner.idle();
  if (!('tests' in frame)) throw new Error(`no test frame: ${JSON.stringify(frame)}`);
  expect(Buffer.from(frame.tests[0]!.out_b64, 'base64').toString()).to.equal('42\n');
  expect(end).to.deep.equal({ status: 'done' });
}

describe('sandbox protocol: fuzzed messages at every hop', function () {
  this.timeout(240_000);
  const runnerScript = join(ROOT, 'python', 'sandbox_runner.py');
  const judgeScript = join(ROOT, 'python', 'sandbox_judge.py');

  it('the runner answers every random or truncated request and keeps serving', async () => {
    const runner = await start(runnerScript, ['--as-pid-1']);
    try {
      await fc.assert(
        fc.asyncProperty(fc.array(line, { minLength: 1, maxLength: 6 }), async (lines) => {
          for (const l of lines) {
            runner.sendLine(l);
            // frames until the one that ends the request (a stdio run sends one per test first)
            for (let m = await runner.next(Any, 20_000); 'tests' in m; m = await runner.next(Any, 20_000));
            runner.idle();
          }
          await sane(runner);
        }),
        { numRuns: 40, seed: 23 },
      );
    } finally {
      await runner.close();
    }
  });

  it('the judge answers every random message with one well-formed reply, and a fuzzed program side never passes', async () => {
    const judge = await start(judgeScript);
    const secret = 'SECRET-2f9c1e';
    const reply = fc.oneof(
      value,
      fc.record(
        {
          status: fc.oneof(fc.constantFrom('ok', 'error', 'timeout', 'wall_timeout', 'memory'), value),
          reply_b64: fc.oneof(
            fc.string({ maxLength: 40 }),
            fc.string({ maxLength: 40 }).map((t) => Buffer.from(t).toString('base64')),
            ...[
              value.map((v) => JSON.stringify(v)),
              value.map((v) => JSON.stringify({ value: v })),
              fc.array(fc.string({ maxLength: 30 })).map((r) => JSON.stringify({ raise: r })),
              fc.record({ ref: fc.nat(9), repr: fc.string() }).map((v) => JSON.stringify({ value: v })),
              fc.constantFrom('{"module": "this"}', '{"missing": true}', '{"value": {"g": [["X", []]]}}'),
            ].map((a) => a.map((t) => Buffer.from(t).toString('base64'))),
          ),
          cpu_ms: fc.oneof(fc.double(), value),
        },
        { requiredKeys: [] },
      ),
    );
    const tests = fc.constantFrom(
      { op: 'call', fn_name: 'f', inputs: [[1], [2]], outputs: [secret, secret] },
      { op: 'assert', code: `assert f(1) == "${secret}"\nprint(f(2))\n`, entry_points: ['f'] },
      { op: 'assert', code: `r = f(1)\nassert all(map(lambda x: x == "${secret}", r))\n` },
    );
    try {
      await fc.assert(
        fc.asyncProperty(
          tests,
          fc.array(
            fc.oneof(
              reply.map((r) => ({ reply: r })),
              line,
            ),
            { minLength: 1, maxLength: 12 },
          ),
          line,
          async (test, replies, junk) => {
            judge.send({ ...test, opened: { status: 'ok' } });
            for (let i = 0; ; i++) {
              const m = await judge.next(JudgeMessage, 20_000);
              if ('result' in m) {
                expect(m.result.verdict).to.not.equal('pass');
                break;
              }
              const r = replies[i % replies.length]!;
              if (typeof r === 'string') judge.sendLine(r);
              else judge.send(r);
            }
            judge.idle();
            // a stray line where a request belongs: one error reply, never a pass
            judge.sendLine(junk);
            const m = await judge.next(Any, 20_000);
            judge.idle();
            expect(JSON.stringify(m)).to.not.match(/"verdict":"pass"/);
            // and the judge still judges
            const ok = await judge.ask(
              {
                op: 'stdio_tests',
                first: 0,
                n: 1,
                expected: ['7'],
                observed: [{ status: 'ok', out_b64: 'Nwo=', cpu_ms: 1, wall_ms: 1 }],
              },
              JudgeTestsMessage,
              20_000,
            );
            expect(ok.tests.map((x) => x.verdict)).to.deep.equal(['pass']);
          },
        ),
        { numRuns: 60, seed: 23 },
      );
    } finally {
      await judge.close();
    }
  });

  it('Node takes no line it did not ask for, none too long, none of the wrong shape: each is a ProcFailure, never a value', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sf-echo-'));
    // a stand-in for a sandbox process that says whatever it is told to (and twice when told "twice")
    const echo = join(dir, 'echo.py');
    writeFileSync(
      echo,
      `import sys\nprint('{"ready": ${PROTOCOL_VERSION}}', flush=True)` +
        '\nfor line in sys.stdin:\n' +
        '    sys.stdout.write(line * (2 if line.startswith("twice") else 1))\n    sys.stdout.flush()\n',
    );
    try {
      let proc = await start(echo, [], 4096);
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(
            line,
            fc.string({ minLength: 5000, maxLength: 6000 }),
            fc.constant('twice {"status": "done"}'),
          ),
          async (l) => {
            if (proc.dead) proc = await start(echo, [], 4096);
            proc.sendLine(l);
            try {
              const frame = await proc.next(RunnerFrame, 5000);
              proc.idle();
              expect(RunnerFrame.safeParse(frame).success).to.equal(true);
            } catch (err) {
              expect(err).to.be.instanceOf(ProcFailure);
              expect((err as ProcFailure).kind).to.be.oneOf(['protocol', 'died']);
              await new Promise((res) => setTimeout(res, 20));
              expect(
                proc.dead ||
                  (await Promise.race([
                    proc.next(Any, 50).then(
                      () => false,
                      () => true,
                    ),
                  ])),
              ).to.equal(true);
            }
          },
        ),
        { numRuns: 40, seed: 23 },
      );
      await proc.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
