import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { baseArgs, sandboxUser } from './bwrap.ts';

/** Why a sandbox process stopped answering; the pool replaces it. */
export class ProcFailure extends Error {
  constructor(
    message: string,
    readonly kind: 'died' | 'deadline',
  ) {
    super(message);
  }
}

/**
 * One Python script in its own bubblewrap sandbox, spoken to in JSON lines. Every wait has a deadline:
 * a process that misses it is killed with everything it started (its PID namespace) and never used again.
 */
export class SandboxProc {
  readonly proc: ChildProcess;
  dead = false;
  private lines: string[] = [];
  private waiter?: { resolve: (line: string) => void; reject: (e: Error) => void; timer: NodeJS.Timeout };
  private stderr = '';

  constructor(script: string, python: string, uid: number, extra: string[] = []) {
    const fd = openSync(script, 'r');
    const target = `/opt/structflow/${script.split('/').pop()}`;
    this.proc = spawn(
      'bwrap',
      [
        ...baseArgs(python),
        ...extra,
        '--ro-bind-data',
        '3',
        target,
        '--remount-ro',
        '/',
        python,
        '-s',
        '-u',
        target,
      ],
      { stdio: ['pipe', 'pipe', 'pipe', fd], detached: true, ...sandboxUser(uid) },
    );
    closeSync(fd);
    this.proc.stderr!.on('data', (d: Buffer) => (this.stderr = (this.stderr + d.toString()).slice(-2000)));
    createInterface({ input: this.proc.stdout!, crlfDelay: Infinity }).on('line', (line) => {
      const w = this.waiter;
      if (!w) return void this.lines.push(line);
      this.waiter = undefined;
      clearTimeout(w.timer);
      w.resolve(line);
    });
    this.proc.stdin!.on('error', () => {}); // a dead process's closed pipe: the exit handler reports it
    this.proc.on('exit', (code, signal) => {
      this.dead = true;
      const w = this.waiter;
      this.waiter = undefined;
      if (w) {
        clearTimeout(w.timer);
        w.reject(new ProcFailure(`sandbox process exited (${signal ?? code}): ${this.lastError}`, 'died'));
      }
    });
  }

  get lastError(): string {
    return this.stderr.trim().split('\n').pop() ?? '';
  }

  send(msg: unknown): void {
    if (!this.dead) this.proc.stdin!.write(JSON.stringify(msg) + '\n');
  }

  /** The next message, or a ProcFailure when the process dies or `ms` pass first (then it is killed). */
  next<T>(ms: number): Promise<T> {
    const queued = this.lines.shift();
    if (queued !== undefined) return Promise.resolve(JSON.parse(queued) as T);
    if (this.dead)
      return Promise.reject(new ProcFailure(`sandbox process is dead: ${this.lastError}`, 'died'));
    return new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        this.kill();
        reject(new ProcFailure(`the sandbox missed its deadline of ${(ms / 1000).toFixed(1)} s`, 'deadline'));
      }, ms);
      this.waiter = { resolve, reject, timer };
    }).then((line) => JSON.parse(line) as T);
  }

  ask<T>(msg: unknown, ms: number): Promise<T> {
    this.send(msg);
    return this.next<T>(ms);
  }

  /** SIGKILL to bwrap's process group: --die-with-parent then ends the sandbox's PID namespace. */
  kill(): void {
    if (this.dead) return;
    try {
      process.kill(-this.proc.pid!, 'SIGKILL');
    } catch {
      this.proc.kill('SIGKILL');
    }
  }

  /** Ends the process: its stdin closes (the script's loop ends), and after `graceMs` it is killed. */
  close(graceMs = 2000): Promise<void> {
    return new Promise((resolve) => {
      if (this.dead) return resolve();
      this.proc.once('exit', () => resolve());
      this.proc.stdin!.end();
      setTimeout(() => this.kill(), graceMs).unref();
    });
  }
}
