import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { cpus } from 'node:os';
import { createInterface } from 'node:readline';
import type { TestSpec } from './schemas.ts';

/** Verdict of one test. `skipped`: not run because an earlier test decided the program's verdict. */
export type TestVerdict = 'pass' | 'fail' | 'error' | 'timeout' | 'memory' | 'output_limit' | 'skipped';
/** Verdict of a program (SPEC §4). */
export type Verdict =
  'pass' | 'fail' | 'error' | 'timeout' | 'memory' | 'output_limit' | 'compile_error' | 'no_tests';

/** Limits of one program run; every one has a safe default in the worker. */
export interface Limits {
  /** CPU seconds per test (default 5). */
  test_cpu_s: number;
  /** Wall seconds per test, generous so a loaded machine does not turn slow into wrong (default 15). */
  test_wall_s: number;
  /** CPU seconds for all tests of a program (default 20). */
  program_cpu_s: number;
  /** Wall seconds for all tests of a program (default 60). */
  program_wall_s: number;
  /** Address space in MiB (default 2048). */
  memory_mb: number;
  /** Output bytes per test before the program is stopped (default 1 MiB). */
  output_bytes: number;
  /** Largest file the program may write (default 16 MiB). */
  file_bytes: number;
  /** Processes of the sandbox user at once (default 8); a fork bomb stops there. */
  processes: number;
}

export interface ExecRequest {
  id: string;
  code: string;
  tests: TestSpec;
  limits?: Partial<Limits>;
}

export interface ExecResult {
  id: string;
  verdict: Verdict;
  tests: { verdict: TestVerdict; ms: number; error?: string }[];
  error?: string;
  cpu_ms?: number;
  wall_ms?: number;
  /** How the program was isolated: `network` is `netns` (own network namespace) or `sockets-disabled`. */
  isolation: { network: string; tmp: string; uid: number };
  /** True when a first `timeout` was run again (this is the second run's verdict). */
  retried?: boolean;
}

export interface PoolOptions {
  /** Worker processes (default: one per core). */
  workers?: number;
  /** Python interpreter; default `$STRUCTFLOW_PYTHON`, else the real binary behind `python3` (see resolveSandboxPython). */
  python?: string;
  /** Limits applied to every request unless the request sets its own. */
  limits?: Partial<Limits>;
  /** `auto` (default) uses network and mount namespaces when the kernel allows; `none` does not try. */
  isolation?: 'auto' | 'none';
  /** Folder of a content-addressed verdict cache: a program already run on the same tests and limits is
   *  not run again (a restarted or incremental run redoes no execution). */
  cacheDir?: string;
}

const WORKER = new URL('../python/exec_worker.py', import.meta.url).pathname;

let pythonPath: string | undefined;

/**
 * The interpreter binary, resolved once: `python3` is often a pyenv shim that costs about half a second
 * per start, so workers are started with the real `sys.executable`.
 */
export function resolvePython(explicit?: string): string {
  if (explicit) return explicit;
  if (process.env.STRUCTFLOW_PYTHON) return process.env.STRUCTFLOW_PYTHON;
  pythonPath ??= execFileSync('python3', ['-c', 'import sys; print(sys.executable)']).toString().trim();
  return pythonPath;
}

/**
 * The interpreter for sandboxed programs. As root, programs run as an unprivileged uid, which must be
 * able to read the interpreter's standard library; a pyenv install under /root is not, so then Debian's
 * /usr/bin/python3 is used instead (a program importing a module would otherwise fail for nothing).
 */
export function resolveSandboxPython(explicit?: string): string {
  const python = resolvePython(explicit);
  if (explicit || process.env.STRUCTFLOW_PYTHON || process.getuid?.() !== 0) return python;
  const stdlib = execFileSync(python, ['-c', 'import sysconfig; print(sysconfig.get_paths()["stdlib"])'])
    .toString()
    .trim();
  if (readableByOthers(stdlib)) return python;
  if (existsSync('/usr/bin/python3')) return '/usr/bin/python3';
  throw new Error(
    `${python}'s standard library (${stdlib}) is not readable by other users; set STRUCTFLOW_PYTHON`,
  );
}

function readableByOthers(path: string): boolean {
  for (let p = path; ; p = dirname(p)) {
    if ((statSync(p).mode & 0o005) !== 0o005) return false;
    if (dirname(p) === p) return true;
  }
}

let namespaces: boolean | undefined;

/** Whether this process may start a worker in new network and mount namespaces (root, or user namespaces). */
export function canUseNamespaces(): boolean {
  namespaces ??= spawnSync('unshare', ['--net', '--mount', '--propagation', 'private', 'true']).status === 0;
  return namespaces;
}

// Inside its own mount namespace the worker gets private, empty /tmp, /var/tmp and /dev/shm: a program
// that writes outside its working directory writes into a tmpfs that disappears with the worker.
// The worker script is opened (fd 3) before the mounts, as it may itself live under /tmp.
const PRIVATE_TMP =
  'exec 3<"$WORKER_SCRIPT"; ' +
  'if mount -t tmpfs -o size=1g,mode=1777 tmpfs /tmp 2>/dev/null; then ' +
  'mount -t tmpfs -o size=64m,mode=1777 tmpfs /var/tmp 2>/dev/null; ' +
  'mount -t tmpfs -o size=64m,mode=1777 tmpfs /dev/shm 2>/dev/null; T=private; else T=shared; fi; ' +
  'exec "$@" tmp=$T';

/** Environment of the worker: nothing of the parent's is passed on. */
const WORKER_ENV = {
  PATH: '/usr/local/bin:/usr/bin:/bin',
  LANG: 'C.UTF-8',
  PYTHONDONTWRITEBYTECODE: '1',
  PYTHONHASHSEED: '0',
};

class Worker {
  readonly proc: ChildProcess;
  private pending?: { req: ExecRequest; resolve: (r: ExecResult) => void; reject: (e: Error) => void };
  dead = false;
  /** Whether it ever sent a result (a worker that dies before that failed to start). */
  answered = false;
  private stderr = '';

  get lastError(): string {
    return this.stderr.trim().split('\n').pop() ?? '';
  }

  constructor(python: string, uid: number, isolate: boolean, onExit: (w: Worker) => void) {
    const stdio: ['pipe', 'pipe', 'pipe'] = ['pipe', 'pipe', 'pipe'];
    this.proc = isolate
      ? spawn(
          'unshare',
          [
            '--net',
            '--mount',
            '--propagation',
            'private',
            'sh',
            '-c',
            PRIVATE_TMP,
            'sh',
            python,
            '-u',
            '/dev/fd/3',
            `uid=${uid}`,
            'network=netns',
          ],
          { env: { ...WORKER_ENV, WORKER_SCRIPT: WORKER }, stdio },
        )
      : spawn(python, ['-u', WORKER, `uid=${uid}`, 'network=sockets-disabled', 'tmp=shared'], {
          env: WORKER_ENV,
          stdio,
        });
    this.proc.stderr!.on('data', (d: Buffer) => (this.stderr = (this.stderr + d.toString()).slice(-2000)));
    createInterface({ input: this.proc.stdout! }).on('line', (line) => {
      const p = this.pending;
      this.pending = undefined;
      this.answered = true;
      if (!p) return;
      try {
        p.resolve({ ...(JSON.parse(line) as ExecResult), id: p.req.id });
      } catch (err) {
        p.reject(new Error(`worker sent an unreadable result: ${(err as Error).message}`));
      }
    });
    this.proc.stdin!.on('error', () => {}); // a dead worker's closed pipe; the exit handler reports it
    this.proc.on('exit', (code, signal) => {
      this.dead = true;
      const p = this.pending;
      this.pending = undefined;
      p?.reject(
        new Error(
          `worker exited (${signal ?? code})${this.stderr ? `: ${this.stderr.trim().split('\n').pop()}` : ''}`,
        ),
      );
      onExit(this);
    });
  }

  get busy(): boolean {
    return this.pending !== undefined;
  }

  run(req: ExecRequest): Promise<ExecResult> {
    return new Promise((resolve, reject) => {
      this.pending = { req, resolve, reject };
      this.proc.stdin!.write(JSON.stringify(req) + '\n');
    });
  }

  kill(): void {
    this.proc.kill('SIGKILL');
  }
}

/**
 * A pool of warm Python fork servers behind one API. `run` queues when every worker is busy, so a stage
 * that awaits it streams programs through at the pool's pace. A program whose worker dies is retried
 * once on a fresh worker, then reported as `error`; a `timeout` is run once more before it is final
 * (on a loaded machine a first timeout is often the machine, not the program).
 */
export class ExecPool {
  private workers: Worker[] = [];
  private queue: { req: ExecRequest; resolve: (r: ExecResult) => void; reject: (e: Error) => void }[] = [];
  private closed = false;
  private failedStarts = 0;
  private everAnswered = false;
  private broken?: Error;
  readonly size: number;
  readonly python: string;
  readonly isolated: boolean;
  private readonly uidBase: number;
  private nextUid = 0;
  /** Counters: programs run, timeouts re-run, workers replaced. */
  readonly stats = { programs: 0, timeout_retries: 0, worker_restarts: 0, cache_hits: 0 };

  constructor(private readonly opts: PoolOptions = {}) {
    this.size = Math.max(1, opts.workers ?? cpus().length);
    this.python = resolveSandboxPython(opts.python);
    this.isolated = opts.isolation !== 'none' && canUseNamespaces();
    // each worker's programs run as a uid of their own, so "kill everything of this uid" is exact
    this.uidBase = 100_000 + (process.pid % 50_000) * 64;
    for (let i = 0; i < this.size; i++) this.workers.push(this.spawn());
  }

  private spawn(): Worker {
    const uid = this.uidBase + (this.nextUid++ % 64);
    return new Worker(this.python, uid, this.isolated, (w) => this.onExit(w));
  }

  private onExit(w: Worker) {
    const i = this.workers.indexOf(w);
    if (i < 0 || this.closed) return;
    this.stats.worker_restarts++;
    // every worker died before its first answer, or many fresh ones in a row did
    const startsFailing = !w.answered && ++this.failedStarts >= (this.everAnswered ? 3 : 1) * this.size;
    if (startsFailing) {
      // workers die before answering anything: a broken setup, not a hostile program
      this.closed = true;
      const why = new Error(`execution workers cannot start: ${w.lastError || 'no message'}`);
      for (const job of this.queue.splice(0)) job.reject(why);
      this.broken = why;
      return;
    }
    this.workers[i] = this.spawn();
    this.dispatch();
  }

  private dispatch() {
    for (const w of this.workers) {
      if (this.queue.length === 0) return;
      if (w.busy || w.dead) continue;
      const job = this.queue.shift()!;
      w.run(job.req).then(job.resolve, job.reject); // job's callbacks dispatch the next one
    }
  }

  private once(req: ExecRequest): Promise<ExecResult> {
    if (this.broken) return Promise.reject(this.broken);
    if (this.closed) return Promise.reject(new Error('the execution pool is closed'));
    const withLimits = this.opts.limits ? { ...req, limits: { ...this.opts.limits, ...req.limits } } : req;
    return new Promise<ExecResult>((resolve, reject) => {
      this.queue.push({
        req: withLimits,
        resolve: (r) => {
          resolve(r);
          setImmediate(() => this.dispatch());
        },
        reject: (e) => {
          reject(e);
          setImmediate(() => this.dispatch());
        },
      });
      this.dispatch();
    });
  }

  /** Run one program on its tests. Never rejects for the program's own behaviour: that is its verdict. */
  async run(req: ExecRequest): Promise<ExecResult> {
    if (!this.opts.cacheDir) return this.execute(req);
    const limits = { ...this.opts.limits, ...req.limits };
    const key = createHash('sha256')
      .update(JSON.stringify([req.code, req.tests, limits]))
      .digest('hex');
    const path = join(this.opts.cacheDir, key.slice(0, 2), `${key}.json`);
    try {
      const hit = JSON.parse(readFileSync(path, 'utf8')) as ExecResult;
      this.stats.cache_hits++;
      return { ...hit, id: req.id };
    } catch {
      // not run before
    }
    const r = await this.execute(req);
    if (!r.error?.startsWith('the execution worker died')) {
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(`${path}.tmp`, JSON.stringify(r));
      renameSync(`${path}.tmp`, path);
    }
    return r;
  }

  private async execute(req: ExecRequest): Promise<ExecResult> {
    this.stats.programs++;
    let result: ExecResult;
    try {
      result = await this.once(req);
      this.everAnswered = true;
    } catch {
      try {
        result = await this.once(req); // the worker died under it: once more on a fresh one
      } catch (err) {
        if (this.broken) throw this.broken;
        return {
          id: req.id,
          verdict: 'error',
          tests: [],
          error: `the execution worker died twice on this program: ${(err as Error).message}`,
          isolation: { network: this.isolated ? 'netns' : 'sockets-disabled', tmp: 'unknown', uid: -1 },
        };
      }
    }
    if (result.verdict === 'timeout') {
      this.stats.timeout_retries++;
      try {
        result = { ...(await this.once(req)), retried: true };
      } catch {
        // keep the first timeout
      }
    }
    return result;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.queue.splice(0)) job.reject(new Error('the execution pool is closed'));
    await Promise.all(
      this.workers.map(
        (w) =>
          new Promise<void>((resolve) => {
            if (w.dead) return resolve();
            w.proc.once('exit', () => resolve());
            w.proc.stdin!.end();
            setTimeout(() => w.kill(), 2000).unref();
          }),
      ),
    );
  }
}
