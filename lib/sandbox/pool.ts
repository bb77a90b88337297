import { createHash } from 'node:crypto';
import { Fatal } from '../stage.ts';
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../root.ts';
import type { TestResult, TestSpec, Verdict } from '../schemas.ts';
import { requireBwrap, resolveSandboxPython } from './bwrap.ts';
import { ProcFailure, SandboxProc } from './proc.ts';
import { testCount, testCpu, wallLimit } from './limits.ts';
import { strip, VerdictCache, type Executed } from './verdict-cache.ts';
import {
  JudgeMessage,
  JudgeResultMessage,
  JudgeTestsMessage,
  PROTOCOL_VERSION,
  RunnerFrame,
  RunnerReply,
  type JudgedTest,
} from './protocol.ts';

/** Limits of one program run; every one has a default in the runner (python/sandbox_runner.py). */
export interface Limits {
  /** CPU seconds per test (default 5); the wall limit of a test is max(3 × that, that + 2 s). */
  test_cpu_s: number;
  /** CPU seconds for all tests of a program (default 20). */
  program_cpu_s: number;
  /** Wall seconds for all tests of a program (default 60). */
  program_wall_s: number;
  /** Memory in MiB (default 2048): the address space of each process, and the resident memory of all the
   *  program's processes together. */
  memory_mb: number;
  /** Output bytes per test before the program is stopped (default 1 MiB). */
  output_bytes: number;
  /** Largest file the program may write (default 16 MiB). */
  file_bytes: number;
  /** Files and directories the program may have in its scratch space at once (default 10,000); each costs
   *  kernel memory the memory limit does not count. */
  scratch_files: number;
  /** Processes of the sandbox's uid at once (default 16); a fork bomb stops there. */
  processes: number;
}

/** The stdio comparison rules: see docs/sandbox.md. */
export type StdioCompare = 'strict' | 'apps';

/** One program to run on its tests. */
export interface ExecRequest {
  id: string;
  code: string;
  tests: TestSpec;
  limits?: Partial<Limits>;
  /** CPU seconds per test (one entry per test), each capped by `limits.test_cpu_s`. */
  test_cpu_s?: number[];
  /** Call tests only: record what the program returns instead of comparing it (`ExecResult.outputs`); the
   *  `expect` stage runs a reference so, and its answers become the expected outputs. */
  record?: boolean;
}

/** A program's verdict, its tests' results and what the run cost. */
export interface ExecResult {
  id: string;
  verdict: Verdict;
  tests: TestResult[];
  error?: string;
  /** CPU milliseconds the program used, as the kernel counted them. */
  cpu_ms?: number;
  wall_ms?: number;
  /** Wall milliseconds the program held its slot (opening and closing included, waiting for a slot not). */
  slot_ms?: number;
  isolation: { tool: string; uid: number };
  /** True when a first timeout hit the wall limit before the CPU limit and the program was run again. */
  retried?: boolean;
  /** Whether the verdict cache answered, so the program was not run now (undefined without a cache). */
  cached?: boolean;
  /** With `record`: each test's return value as the judge's JSON text, null where the program raised. */
  outputs?: (string | null)[];
  /** With `record`: each test's input as the judge's JSON text, in the types the program took it in. */
  inputs?: (string | null)[];
  /** With `record`: how many inputs were taken in other types than JSON gave them (tuples, floats). */
  retyped?: number;
}

/** How many slots, the limits, the comparison rule and the verdict cache. */
export interface PoolOptions {
  /** Sandbox slots, each a runner and a judge (default: one per core). */
  workers?: number;
  /** Python interpreter; default `$STRUCTFLOW_PYTHON`, else the real binary behind `python3`. */
  python?: string;
  /** Limits applied to every request unless the request sets its own. */
  limits?: Partial<Limits>;
  /** How stdio outputs are compared: `strict` (default) or `apps`, the APPS harness's cascade
   *  (docs/sandbox.md, Comparison rules). */
  stdioCompare?: StdioCompare;
  /** Folder of the store (lib/store.ts) whose `verdicts` and `passes` tables cache verdicts by content: a program
   *  already run on the same tests and limits is not run again (a restarted or incremental run redoes no
   *  execution), nor twice at once, nor a pass again under per-test limits its times fit (lib/sandbox/verdict-cache.ts). */
  cacheDir?: string;
}

const RUNNER = join(ROOT, 'python', 'sandbox_runner.py');
const JUDGE = join(ROOT, 'python', 'sandbox_judge.py');
/** CPU seconds a test may take unless told otherwise. */
export const DEFAULT_CPU_S = 5;
const DEFAULT_PROGRAM_WALL_S = 60;
const DEFAULT_OUTPUT_BYTES = 1 << 20;
/** Time the runner needs beyond the program's own limits (fork, reset, replies) before Node gives up on it. */
const GRACE_MS = 5000;
/** Time a fresh slot has to say it is ready. */
const START_MS = 30_000;
/** Fresh slots in a row that fail to start before the pool gives up: no program can cause that. */
const MAX_FAILED_STARTS = 3;

let version: string | undefined;
/**
 * The sandbox's version: the protocol's and a hash of the code that decides verdicts (runner, judge,
 * seccomp filter). It is part of every verdict cache key, so no release trusts another's verdicts.
 */
export function sandboxVersion(): string {
  if (version) return version;
  const h = createHash('sha256').update(String(PROTOCOL_VERSION));
  for (const f of [RUNNER, JUDGE, join(ROOT, 'python', 'seccomp_filter.py')]) h.update(readFileSync(f));
  version = `${PROTOCOL_VERSION}-${h.digest('hex').slice(0, 16)}`;
  return version;
}

type Decided = Omit<ExecResult, 'id' | 'isolation' | 'tests'> & {
  tests: JudgedTest[];
  wall_timeout?: boolean;
  /** What the program left of the slot (the runner's slot_state): such a slot is replaced. */
  retire?: string;
  unhealthy?: string;
};

// Every slot's runner and judge run as uids of their own, across all pools of this process: a process of
// one cannot signal, trace or share a process limit with another. 512 pairs per process, reused in turn.
const UID_BASE = 100_000 + (process.pid % 10_000) * 1024;
let uidTurn = 0;
const nextUid = () => UID_BASE + 2 * (uidTurn++ % 512);

/** A runner (holds the program, never the expected outputs) and a judge (holds the tests, never runs the program). */
class Slot {
  readonly runner: SandboxProc;
  readonly judge: SandboxProc;
  busy = false;
  /** Resolves when both processes said they are ready (kind 'start' failure otherwise, or after START_MS). */
  readonly started: Promise<void>;

  constructor(
    python: string,
    readonly uid: number,
    outputBytes: number,
  ) {
    // a frame of tests carries one test's output (at most output_bytes, base64) and at most 1 MiB of
    // the others' (the runner's FRAME_BYTES), with their short fields; a batch of calls, one reply (base64
    // too) and at most 256 KiB of the others' (the runner's BATCH_BYTES)
    const maxFrame = Math.ceil((4 * outputBytes) / 3) + (2 << 20);
    this.runner = new SandboxProc(RUNNER, python, uid, ['--as-pid-1'], maxFrame);
    // the judge hashes the program's data: a random hash seed makes colliding string keys unplannable
    this.judge = new SandboxProc(JUDGE, python, uid + 1, ['--setenv', 'PYTHONHASHSEED', 'random']);
    let timer: NodeJS.Timeout | undefined;
    this.started = Promise.race([
      Promise.all([this.runner.started, this.judge.started]).then(() => undefined),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new ProcFailure(`the sandbox did not start within ${START_MS / 1000} s`, 'start')),
          START_MS,
        );
      }),
    ]).finally(() => clearTimeout(timer));
    this.started.catch(() => {});
  }

  get dead(): boolean {
    return this.runner.dead || this.judge.dead;
  }

  kill(): void {
    this.runner.kill();
    this.judge.kill();
  }

  async execute(
    req: ExecRequest,
    limits: Partial<Limits>,
    compare: StdioCompare,
    stats: ExecPool['stats'],
  ): Promise<Decided> {
    await this.started;
    const t = req.tests;
    const cpu = limits.test_cpu_s ?? DEFAULT_CPU_S;
    if (t.kind === 'assert' ? !t.code.trim() : t.inputs.length === 0)
      return { verdict: 'no_tests', tests: [] };
    const perTest = req.test_cpu_s?.map((s) => Math.min(s, cpu));
    const n = testCount(t);
    // a call/assert program's module runs once before its tests, under the flat limit (the runner's `open`)
    const start = t.kind === 'stdio' ? 0 : wallLimit(cpu);
    const wall = Math.min(
      limits.program_wall_s ?? DEFAULT_PROGRAM_WALL_S,
      Array.from({ length: Math.max(n, 1) }, (_, i) => wallLimit(testCpu(perTest, i, cpu))).reduce(
        (a, b) => a + b,
        start,
      ),
    );
    const deadline = wall * 1000 + GRACE_MS;
    const started = Date.now();
    const left = () => Math.max(1, deadline - (Date.now() - started));
    const common = { limits, ...(perTest ? { test_cpu_s: perTest } : {}) };
    if (t.kind === 'stdio') {
      // the runner's frames are handed to the judge as they come (its replies are read after: the judge
      // compares while the runner runs the next tests); no message holds every output
      this.runner.send({ op: 'run', code: req.code, inputs: t.inputs, ...common });
      let sent = 0;
      let asked = 0;
      let leftBehind: Pick<Decided, 'retire' | 'unhealthy'> = {};
      for (;;) {
        const frame = await this.runner.next(RunnerFrame, left());
        if ('tests' in frame) {
          const k = frame.tests.length;
          if (sent + k > n) throw new ProcFailure('the runner sent more tests than it ran', 'protocol');
          const expected = t.outputs.slice(sent, sent + k);
          const checker = t.checker ? { checker: t.checker, inputs: t.inputs.slice(sent, sent + k) } : {};
          const observed = frame.tests;
          const tolerance = t.tolerance ? { tolerance: t.tolerance } : {};
          this.judge.send({
            op: 'stdio_tests',
            first: sent,
            n,
            expected,
            observed,
            compare,
            ...checker,
            ...tolerance,
          });
          sent += k;
          asked++;
          continue;
        }
        if (frame.status === 'compile_error') {
          if (sent) throw new ProcFailure('the runner sent a compile error after tests', 'protocol');
          return { verdict: 'compile_error', error: frame.error ?? '', tests: [] };
        }
        if (frame.status === 'error') throw new ProcFailure(frame.error ?? 'runner error', 'died');
        this.runner.idle();
        leftBehind = { retire: frame.retire, unhealthy: frame.unhealthy };
        break;
      }
      const tests: JudgedTest[] = [];
      for (let i = 0; i < asked; i++) tests.push(...(await this.judge.next(JudgeTestsMessage, left())).tests);
      this.judge.idle();
      const { result } = await this.judge.ask({ op: 'stdio_verdict', n, tests }, JudgeResultMessage, left());
      return { ...result, ...leftBehind };
    }
    const opened = await this.runner.ask({ op: 'open', code: req.code, ...common }, RunnerReply, left());
    this.judge.send({ op: t.kind, ...t, ...common, opened, ...(req.record ? { record: true } : {}) });
    for (;;) {
      const msg = await this.judge.next(JudgeMessage, left());
      if ('result' in msg) {
        this.judge.idle();
        // an error the judge saw (a call that raised) may be the slot's: the runner then proves the slot works
        const probe = msg.result.verdict === 'error' || msg.result.verdict === 'memory';
        const closed = await this.runner.ask({ op: 'close', probe }, RunnerReply, left());
        return { ...msg.result, retire: closed.retire, unhealthy: closed.unhealthy };
      }
      stats.program_requests++;
      stats.program_calls += typeof msg.rpc === 'string' ? 1 : msg.rpc.length;
      const reply = await this.runner.ask({ op: 'rpc', msg: msg.rpc, cpu_s: msg.cpu_s }, RunnerReply, left());
      this.judge.send({ reply });
    }
  }
}

function unhealthyMessage(id: string, why: string): string {
  return (
    `the sandbox could not start a process, a thread or memory after program ${id} had an error, on two ` +
    `fresh slots (${why}): the machine is short of processes or memory; no verdict of it was kept`
  );
}

/**
 * The sandbox: a pool of slots behind one API. `run` queues when every slot is busy, so a stage that
 * awaits it streams programs through at the pool's pace. Each slot's runner and judge live in their own
 * bubblewrap sandboxes (python/sandbox_runner.py, python/sandbox_judge.py say what each may see). A
 * request that outlives its deadline kills its slot, which is replaced; so does a slot that dies, and
 * its program is tried once more on the fresh one. A timeout is run again only when the wall limit hit
 * before the CPU limit (a loaded machine can explain that; it cannot explain a spent CPU budget).
 */
export class ExecPool {
  private slots: Slot[] = [];
  private queue: { run: (slot: Slot) => void; fail: (e: Error) => void }[] = [];
  private closed = false;
  private failedStarts = 0;
  private cache?: VerdictCache;
  private broken?: Error;
  readonly size: number;
  readonly python: string;
  readonly tool: string;
  /** Counters: programs run, wall-limit timeouts run again, slots replaced, deadline kills, cache hits. */
  readonly stats = {
    programs: 0,
    timeout_retries: 0,
    worker_restarts: 0,
    deadline_kills: 0,
    cache_hits: 0,
    /** Slots replaced after a program because of what it left (see `retire` and `unhealthy` in protocol.ts). */
    slots_retired: 0,
    /** Programs run again because the slot could not start work after their error. */
    unhealthy_reruns: 0,
    /** Requests of the judge to a call/assert program, and the uses of the program they carried: a request
     *  carries several calls when the judge planned them ahead (python/sandbox_judge.py, plan_of). */
    program_requests: 0,
    program_calls: 0,
  };

  constructor(private readonly opts: PoolOptions = {}) {
    this.size = Math.max(1, opts.workers ?? cpus().length);
    this.tool = requireBwrap();
    this.python = resolveSandboxPython(opts.python);
    for (let i = 0; i < this.size; i++) this.slots.push(this.spawn());
  }

  private spawn(): Slot {
    const slot = new Slot(this.python, nextUid(), this.opts.limits?.output_bytes ?? DEFAULT_OUTPUT_BYTES);
    slot.started.then(
      () => (this.failedStarts = 0),
      () => {},
    );
    return slot;
  }

  /**
   * A slot that failed is killed and replaced. Only a fresh slot that never said it was ready counts
   * against the pool (no program runs before that), and only in a row: MAX_FAILED_STARTS of those and
   * the pool stops with the reason. A slot a program broke costs that program its verdict, never the pool.
   */
  private replace(slot: Slot, why: Error): void {
    slot.kill();
    const i = this.slots.indexOf(slot);
    if (i < 0 || this.closed) return;
    this.stats.worker_restarts++;
    if (why instanceof ProcFailure && why.kind === 'start' && ++this.failedStarts >= MAX_FAILED_STARTS) {
      this.broken = new Fatal(
        `execution workers cannot start: ${slot.runner.lastError || slot.judge.lastError || why.message}`,
      );
      this.closed = true;
      for (const job of this.queue.splice(0)) job.fail(this.broken);
      return;
    }
    this.slots[i] = this.spawn();
  }

  private dispatch(): void {
    for (const slot of this.slots) {
      if (this.queue.length === 0) return;
      if (slot.busy) continue;
      slot.busy = true;
      this.queue.shift()!.run(slot);
    }
  }

  /** One attempt on one slot. Rejects with ProcFailure when the slot failed (it is replaced by then). */
  private once(req: ExecRequest): Promise<Decided & { uid: number }> {
    if (this.broken) return Promise.reject(this.broken);
    if (this.closed) return Promise.reject(new Error('the execution pool is closed'));
    const limits = { ...this.opts.limits, ...req.limits };
    return new Promise((resolve, reject) => {
      this.queue.push({
        fail: reject,
        run: (slot) => {
          const t0 = Date.now();
          slot
            .execute(req, limits, this.opts.stdioCompare ?? 'strict', this.stats)
            .then(
              (r) => {
                // the program's verdict stands; the next program gets a slot without what this one left
                if (r.retire || r.unhealthy) {
                  this.stats.slots_retired++;
                  this.replace(slot, new Error(r.unhealthy ?? r.retire));
                }
                resolve({ ...r, uid: slot.uid, slot_ms: Date.now() - t0 });
              },
              (err: Error) => {
                if (err instanceof ProcFailure && err.kind === 'deadline') this.stats.deadline_kills++;
                this.replace(slot, err);
                reject(err);
              },
            )
            .finally(() => {
              slot.busy = false;
              setImmediate(() => this.dispatch());
            });
        },
      });
      this.dispatch();
    });
  }

  /** Run one program on its tests. Never rejects for the program's own behaviour: that is its verdict. */
  async run(req: ExecRequest): Promise<ExecResult> {
    const bad = req.test_cpu_s?.findIndex((s) => typeof s !== 'number' || !Number.isFinite(s) || s < 0);
    if (bad !== undefined && bad >= 0)
      throw new TypeError(
        `program ${req.id}: test_cpu_s[${bad}] is ${String(req.test_cpu_s![bad])}, not CPU seconds`,
      );
    if (!this.opts.cacheDir) return strip(await this.execute(req));
    this.cache ??= new VerdictCache(this.opts.cacheDir, sandboxVersion(), this.opts.stdioCompare ?? 'strict');
    // keyed on the limits in force, whether given or the defaults
    const limits = { test_cpu_s: DEFAULT_CPU_S, ...this.opts.limits, ...req.limits };
    return this.cache.run(
      req,
      limits,
      () => this.execute(req),
      () => this.stats.cache_hits++,
    );
  }

  private async execute(req: ExecRequest): Promise<Executed> {
    this.stats.programs++;
    const t0 = Date.now();
    let r: Awaited<ReturnType<ExecPool['once']>>;
    try {
      r = await this.attempt(req);
      if (r.unhealthy) {
        // the slot could not start work after this program's error: run it once more on a fresh slot,
        // which proved it can when it started; failing there too, the machine is short of something
        this.stats.unhealthy_reruns++;
        r = await this.attempt(req);
        if (r.unhealthy) throw new Fatal(unhealthyMessage(req.id, r.unhealthy));
      }
      if (r.wall_timeout) {
        this.stats.timeout_retries++;
        r = { ...(await this.attempt(req)), retried: true };
      }
    } catch (err) {
      if (this.broken) throw this.broken;
      if (err instanceof Fatal) throw err;
      const deadline = err instanceof ProcFailure && err.kind === 'deadline';
      return {
        id: req.id,
        verdict: deadline ? 'timeout' : 'error',
        tests: [],
        error: `the sandbox failed on this program twice: ${(err as Error).message}`,
        wall_ms: Date.now() - t0,
        isolation: { tool: this.tool, uid: -1 },
        decided: false,
      };
    }
    const { uid, wall_timeout: _w, retire: _r, unhealthy: _u, ...rest } = r;
    const cpu = rest.tests.reduce((s, t) => s + (t.cpu_ms ?? 0), 0);
    return {
      ...rest,
      tests: rest.tests.map(({ wall: _wall, ...t }) => t),
      id: req.id,
      cpu_ms: cpu,
      wall_ms: Date.now() - t0,
      isolation: { tool: this.tool, uid },
      decided: true,
    };
  }

  /**
   * Once, and once more on a fresh slot when the slot failed under it. A slot that never started is not
   * the program's doing and costs it no try (the pool stops after MAX_FAILED_STARTS of those in a row).
   */
  private async attempt(req: ExecRequest): ReturnType<ExecPool['once']> {
    for (let failures = 0; ;) {
      try {
        return await this.once(req);
      } catch (err) {
        if (this.broken) throw this.broken;
        if (!(err instanceof ProcFailure)) throw err;
        if (err.kind !== 'start' && ++failures >= 2) throw err;
      }
    }
  }

  /** Host pids of the slots' bwrap processes (for measuring what the sandbox costs). */
  processIds(): number[] {
    return this.slots.flatMap((s) => [s.runner.proc.pid!, s.judge.proc.pid!]);
  }

  /** Stops every slot's runner and judge; queued programs fail. */
  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.queue.splice(0)) job.fail(new Error('the execution pool is closed'));
    await Promise.all(this.slots.flatMap((s) => [s.runner.close(), s.judge.close()]));
  }
}
