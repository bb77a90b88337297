import { stringifyJson } from '../json.ts';
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import type { Writable } from 'node:stream';
import type { z } from 'zod';
import { baseArgs, sandboxUser, seccompFilter } from './bwrap.ts';
import { Hello } from './protocol.ts';

/**
 * Why a sandbox process stopped serving: it died, missed a deadline, broke the protocol (a message nobody
 * asked for, one too long or of the wrong shape), or never said it was ready. The pool replaces it.
 */
export class ProcFailure extends Error {
  constructor(
    message: string,
    readonly kind: 'died' | 'deadline' | 'protocol' | 'start',
  ) {
    super(message);
  }
}

/**
 * One Python script in its own bubblewrap sandbox under the seccomp filter, spoken to in JSON lines. Its
 * first line must be the hello ({"ready": version}); after that a line is accepted only while a request
 * is open (from `send` until `idle`, which `ask` calls after the one reply), only up to `maxFrame` bytes,
 * and only in the shape the caller asked for. Every wait has a deadline: a process that misses it, or
 * breaks any of these rules, is killed with everything it started (its PID namespace) and never used
 * again. Lines that arrive ahead of the caller wait in a queue; past 4 frames of them the process's
 * output is paused, so a fast sender blocks instead of filling Node's memory.
 */
export class SandboxProc {
  readonly proc: ChildProcess;
  dead = false;
  /** Resolves once the process said it is ready; rejects (kind 'start') if it dies or breaks the protocol first. */
  readonly started: Promise<void>;
  private failure?: ProcFailure;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private open = false;
  private queue: string[] = [];
  private queuedBytes = 0;
  private hello?: { resolve: () => void; reject: (e: ProcFailure) => void };
  private waiter?: { resolve: (line: string) => void; reject: (e: Error) => void; timer: NodeJS.Timeout };
  private stderr = '';

  constructor(
    script: string,
    python: string,
    uid: number,
    extra: string[] = [],
    private readonly maxFrame = 16 << 20,
  ) {
    const fd = openSync(script, 'r');
    const target = `/opt/structflow/${script.split('/').pop()}`;
    this.started = new Promise<void>((resolve, reject) => (this.hello = { resolve, reject }));
    this.started.catch(() => {}); // a caller that never awaits it must not see an unhandled rejection
    this.proc = spawn(
      'bwrap',
      [
        ...baseArgs(python),
        ...extra,
        '--seccomp',
        '4',
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
      { stdio: ['pipe', 'pipe', 'pipe', fd, 'pipe'], detached: true, ...sandboxUser(uid) },
    );
    closeSync(fd);
    const seccomp = this.proc.stdio[4] as Writable;
    seccomp.on('error', () => {}); // a bwrap that failed to start: the exit handler reports it
    seccomp.end(seccompFilter());
    this.proc.stderr!.on('data', (d: Buffer) => (this.stderr = (this.stderr + d.toString()).slice(-2000)));
    this.proc.stdout!.on('data', (d: Buffer) => this.onData(d));
    this.proc.stdin!.on('error', () => {}); // a dead process's closed pipe: the exit handler reports it
    this.proc.on('exit', (code, signal) => {
      this.dead = true;
      this.fail(
        this.failure ??
          new ProcFailure(`sandbox process exited (${signal ?? code}): ${this.lastError}`, 'died'),
      );
    });
  }

  get lastError(): string {
    return this.stderr.trim().split('\n').pop() ?? '';
  }

  private onData(d: Buffer): void {
    let start = 0;
    for (let nl = d.indexOf(10); nl >= 0 && !this.failure; nl = d.indexOf(10, start)) {
      const part = d.subarray(start, nl);
      const bytes = this.pendingBytes + part.length;
      const line = bytes > this.maxFrame ? '' : Buffer.concat([...this.pending, part]).toString();
      this.pending = [];
      this.pendingBytes = 0;
      start = nl + 1;
      if (bytes > this.maxFrame)
        return this.protocolError(`a message of ${bytes} bytes (at most ${this.maxFrame})`);
      this.onLine(line);
    }
    if (this.failure || start >= d.length) return;
    this.pending.push(d.subarray(start));
    this.pendingBytes += d.length - start;
    if (this.pendingBytes > this.maxFrame) this.protocolError(`a message longer than ${this.maxFrame} bytes`);
  }

  private onLine(line: string): void {
    if (this.hello) {
      let ok = false;
      try {
        ok = Hello.safeParse(JSON.parse(line)).success;
      } catch {
        // not JSON
      }
      if (!ok) return this.protocolError(`it did not start with the protocol's hello: ${line.slice(0, 100)}`);
      const h = this.hello;
      this.hello = undefined;
      return h.resolve();
    }
    if (!this.open) return this.protocolError(`a message nobody asked for: ${line.slice(0, 100)}`);
    const w = this.waiter;
    if (w) {
      this.waiter = undefined;
      clearTimeout(w.timer);
      return w.resolve(line);
    }
    this.queue.push(line);
    this.queuedBytes += line.length;
    if (this.queuedBytes > 4 * this.maxFrame) this.proc.stdout!.pause();
  }

  private protocolError(why: string): void {
    this.fail(new ProcFailure(`the sandbox broke its protocol: ${why}`, 'protocol'));
    this.kill();
  }

  /** Ends every wait with `failure` (the first failure is the one reported). */
  private fail(failure: ProcFailure): void {
    this.failure ??= failure;
    if (this.hello) {
      this.hello.reject(new ProcFailure(`the sandbox did not start: ${this.failure.message}`, 'start'));
      this.hello = undefined;
    }
    const w = this.waiter;
    this.waiter = undefined;
    if (w) {
      clearTimeout(w.timer);
      w.reject(this.failure);
    }
  }

  /** Sends a message; the request it opens (or continues) stays open until `idle`. */
  send(msg: unknown): void {
    this.open = true;
    if (!this.dead && !this.failure) this.proc.stdin!.write(stringifyJson(msg) + '\n');
  }

  /** Sends one raw line as it is (the protocol tests send broken ones); it opens a request like `send`. */
  sendLine(line: string): void {
    this.open = true;
    if (!this.dead && !this.failure) this.proc.stdin!.write(line.replace(/\n/g, ' ') + '\n');
  }

  /** Closes the open request: a message left unread, or any that comes before the next `send`, breaks the protocol. */
  idle(): void {
    this.open = false;
    if (this.queue.length) this.protocolError(`a message nobody asked for: ${this.queue[0]!.slice(0, 100)}`);
  }

  /** The next message, checked against `schema`; a ProcFailure when the process fails or `ms` pass first. */
  next<S extends z.ZodType>(schema: S, ms: number): Promise<z.infer<S>> {
    if (this.failure) return Promise.reject(this.failure);
    const queued = this.queue.shift();
    if (queued !== undefined) {
      this.queuedBytes -= queued.length;
      if (this.queuedBytes <= 4 * this.maxFrame) this.proc.stdout!.resume();
      return Promise.resolve(queued).then((line) => this.parse(schema, line));
    }
    return new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        this.fail(
          new ProcFailure(`the sandbox missed its deadline of ${(ms / 1000).toFixed(1)} s`, 'deadline'),
        );
        this.kill();
        reject(this.failure);
      }, ms);
      this.waiter = { resolve, reject, timer };
    }).then((line) => this.parse(schema, line));
  }

  private parse<S extends z.ZodType>(schema: S, line: string): z.infer<S> {
    let parsed: z.ZodSafeParseResult<z.infer<S>>;
    try {
      parsed = schema.safeParse(JSON.parse(line));
    } catch {
      this.protocolError(`a message that is not JSON: ${line.slice(0, 100)}`);
      throw this.failure;
    }
    if (!parsed.success) {
      this.protocolError(`a message of the wrong shape: ${line.slice(0, 100)}`);
      throw this.failure;
    }
    return parsed.data;
  }

  /** One request, one reply. */
  async ask<S extends z.ZodType>(msg: unknown, schema: S, ms: number): Promise<z.infer<S>> {
    this.send(msg);
    const reply = await this.next(schema, ms);
    this.idle();
    return reply;
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
