import { stringifyJson } from './json.ts';
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Reject } from './records.ts';

/** Counters of one stage. Every input is either passed on (it produced at least one output) or rejected. */
export interface StageCounters {
  in: number;
  passed: number;
  rejected: number;
  out: number;
  /** Named counters a stage reports beside the standard ones (datatrove's `stat_update`). */
  stats: Record<string, number>;
  /** Rejects of this stage by reason. */
  reasons: Record<string, number>;
}

/** What a report shows of a stage beside its counts: time spent in it and distributions of values. */
export interface StageMetrics {
  /** Milliseconds records spent in the stage function, summed over records (overlaps when concurrent). */
  busy_ms: number;
  /** Histograms: name → value → how many times it was observed. */
  hist: Record<string, Record<string, number>>;
  /** What the stage's work cost and may differ from run to run (programs run, their CPU milliseconds): name →
   *  amount. Absent from the units an older release committed. */
  spent?: Record<string, number>;
}

/** Everything a run (or one input unit of it) counted; additive, so units and ranks sum up. */
export interface Tally {
  counts: Record<string, StageCounters>;
  metrics: Record<string, StageMetrics>;
  rejects: number;
  /** Wall-clock milliseconds of the work counted. */
  wall_ms: number;
}

export const emptyTally = (): Tally => ({ counts: {}, metrics: {}, rejects: 0, wall_ms: 0 });

const emptyCounters = (): StageCounters => ({
  in: 0,
  passed: 0,
  rejected: 0,
  out: 0,
  stats: {},
  reasons: {},
});

function addRecord(into: Record<string, number>, from: Record<string, number>, sign: number): void {
  for (const [k, v] of Object.entries(from)) into[k] = (into[k] ?? 0) + sign * v; // a zero stays: it was counted
}

/** `into += sign × from`, field by field (sign −1 gives the difference of two snapshots). */
export function addTally(into: Tally, from: Tally, sign = 1): Tally {
  for (const [stage, c] of Object.entries(from.counts)) {
    const t = (into.counts[stage] ??= emptyCounters());
    t.in += sign * c.in;
    t.passed += sign * c.passed;
    t.rejected += sign * c.rejected;
    t.out += sign * c.out;
    addRecord(t.stats, c.stats, sign);
    addRecord(t.reasons, c.reasons, sign);
  }
  for (const [stage, m] of Object.entries(from.metrics)) {
    const t = (into.metrics[stage] ??= { busy_ms: 0, hist: {} });
    t.busy_ms += sign * m.busy_ms;
    for (const [name, h] of Object.entries(m.hist)) addRecord((t.hist[name] ??= {}), h, sign);
    if (m.spent) addRecord((t.spent ??= {}), m.spent, sign);
  }
  into.rejects += sign * from.rejects;
  into.wall_ms += sign * from.wall_ms;
  return into;
}

/**
 * What a run shares between its stages: counters per stage and the rejects output.
 * Stages report to it; they never see each other.
 */
export class RunContext {
  readonly stages = new Map<string, StageCounters>();
  readonly startedAt = Date.now();
  /** The run's output folder, where steps put their spills and default caches (the OS temp folder when unset). */
  workDir: string | undefined;
  /** Input rows this run will read, where that is known before reading them (for progress and ETA). */
  total: number | undefined;
  /**
   * Input records through every stage of their unit (the pipeline is done with them): the work done, which
   * the time left is estimated from. Rows are read ahead of the work, so rows read would say 100 % early.
   */
  finished = 0;
  /** Input records of units an earlier run committed: done, but not by this process's work. */
  reused = 0;
  private rejectsFd: number | undefined;

  /** @param rejectsPath JSONL file that receives every rejected record; omit to count rejects only. */
  constructor(readonly rejectsPath?: string) {
    if (rejectsPath) {
      mkdirSync(dirname(rejectsPath), { recursive: true });
      this.rejectsFd = openSync(rejectsPath, 'w');
    }
  }

  readonly metrics = new Map<string, StageMetrics>();

  /** The counters of a stage (made on first use): records in, passed, rejected, out, named stats. */
  counter(stage: string): StageCounters {
    let c = this.stages.get(stage);
    if (!c) {
      c = emptyCounters();
      this.stages.set(stage, c);
    }
    return c;
  }

  private metric(stage: string): StageMetrics {
    let m = this.metrics.get(stage);
    if (!m) this.metrics.set(stage, (m = { busy_ms: 0, hist: {} }));
    return m;
  }

  /** Count one observation of `value` in the histogram `name` of a stage (for the run report). */
  observe(stage: string, name: string, value: number | string): void {
    const h = (this.metric(stage).hist[name] ??= {});
    h[value] = (h[value] ?? 0) + 1;
  }

  /** Add time spent in a stage's function. */
  busy(stage: string, ms: number): void {
    this.metric(stage).busy_ms += ms;
  }

  /** Add `n` to what a stage spent on `name` (a cost that may differ from run to run, unlike its counters). */
  spend(stage: string, name: string, n: number): void {
    const s = (this.metric(stage).spent ??= {});
    s[name] = (s[name] ?? 0) + n;
  }

  /** Add `n` to the named counter `name` of a stage. */
  stat(stage: string, name: string, n = 1): void {
    const s = this.counter(stage).stats;
    s[name] = (s[name] ?? 0) + n;
  }

  /** The accounting of one stage, bound to its name: what stages, readers and global steps report to. */
  stage(name: string): StageStats {
    return new StageStats(this, name);
  }

  /**
   * Send the rejects from now on to another JSONL file (truncated, or appended to), or nowhere. The runner
   * gives each input unit its own file, committed with the unit's output.
   */
  rejectsTo(path: string | undefined, append = false): void {
    this.close();
    if (path) {
      mkdirSync(dirname(path), { recursive: true });
      this.rejectsFd = openSync(path, append ? 'a' : 'w');
    }
  }

  /** Record a rejected record. Written synchronously so that a crash never loses an acknowledged reject. */
  reject(r: Reject): void {
    const c = this.counter(r.stage);
    c.reasons[r.reason] = (c.reasons[r.reason] ?? 0) + 1;
    this.rejectsWritten++;
    if (this.rejectsFd !== undefined) writeSync(this.rejectsFd, stringifyJson(r) + '\n');
  }

  private cleanups: (() => void | Promise<void>)[] = [];
  /** Lines written to the rejects output (a problem-level reject has no stage input of its own). */
  rejectsWritten = 0;

  private resources = new Map<string, unknown>();

  /**
   * A resource the run's stages share (the sandbox pool): made by the first stage that asks for `key`,
   * released when the run ends. A run that stops before the stages that use it never makes it.
   */
  use<T>(key: string, make: () => T, release?: (resource: T) => void | Promise<void>): T {
    if (this.resources.has(key)) return this.resources.get(key) as T;
    const r = make();
    this.resources.set(key, r);
    if (release) this.onClose(() => release(r));
    return r;
  }

  /** Register a resource to release when the run ends (a worker pool, say). */
  onClose(fn: () => void | Promise<void>): void {
    this.cleanups.push(fn);
  }

  /** Release the run's resources and close the rejects file. */
  async dispose(): Promise<void> {
    for (const fn of this.cleanups.splice(0).reverse()) await fn();
    this.close();
  }

  /** Close the rejects file (the run's resources are released by `dispose`). */
  close(): void {
    if (this.rejectsFd !== undefined) closeSync(this.rejectsFd);
    this.rejectsFd = undefined;
  }

  /** Stages whose counts do not add up (`in = passed + rejected`); empty when nothing was lost. */
  unbalanced(): string[] {
    const bad: string[] = [];
    for (const [name, c] of this.stages) if (c.in !== c.passed + c.rejected) bad.push(name);
    return bad;
  }

  /** Everything counted so far, as a plain object (subtract two to get the share of one unit). */
  tally(): Tally {
    return {
      counts: this.snapshot(),
      metrics: Object.fromEntries([...this.metrics].map(([k, v]) => [k, structuredClone(v)])),
      rejects: this.rejectsWritten,
      wall_ms: 0,
    };
  }

  /** Take in a tally counted elsewhere (a unit committed by an earlier process, another rank). */
  absorb(t: Tally): void {
    for (const stage of Object.keys(t.counts)) this.counter(stage);
    for (const stage of Object.keys(t.metrics)) this.metric(stage);
    const live = { counts: Object.fromEntries(this.stages), metrics: Object.fromEntries(this.metrics) };
    addTally({ ...live, rejects: 0, wall_ms: 0 }, t);
    this.rejectsWritten += t.rejects;
  }

  /** Plain-object snapshot of the counters, for the manifest and reports. */
  snapshot(): Record<string, StageCounters> {
    return Object.fromEntries([...this.stages].map(([k, v]) => [k, structuredClone(v)]));
  }
}

/**
 * One stage's counters, named counters (datatrove's `stat_update`), histograms and rejects, bound to the
 * stage's name so that the stage never repeats it.
 */
export class StageStats {
  readonly counters: StageCounters;

  constructor(
    private readonly ctx: RunContext,
    readonly name: string,
  ) {
    this.counters = ctx.counter(name);
  }

  /** Add `n` to the named counter `key`. */
  stat(key: string, n = 1): void {
    this.ctx.stat(this.name, key, n);
  }

  /** Count one observation of `value` in the histogram `hist` (for the run report). */
  observe(hist: string, value: number | string): void {
    this.ctx.observe(this.name, hist, value);
  }

  /** Add time spent in the stage's function. */
  busy(ms: number): void {
    this.ctx.busy(this.name, ms);
  }

  /** Add `n` to what the stage spent on `name` (programs run, CPU milliseconds: for the run report). */
  spend(name: string, n: number): void {
    this.ctx.spend(this.name, name, n);
  }

  /** An input record of this stage goes to the rejects output instead of on. */
  reject(id: string, reason: string, detail?: string): void {
    this.counters.rejected++;
    this.rejectLine(id, reason, detail);
  }

  /**
   * An input record the stage had passed (one output) goes to the rejects output after all: what came
   * later showed it must not go on. The counts stay as if it had been rejected at once.
   */
  withdraw(id: string, reason: string, detail?: string): void {
    this.counters.passed--;
    this.counters.out--;
    this.reject(id, reason, detail);
  }

  /**
   * A rejects line for something that is not one input record of the stage (a problem none of whose
   * solutions passed): it is counted under its reason, not as a rejected input.
   */
  rejectLine(id: string, reason: string, detail?: string): void {
    this.ctx.reject({ stage: this.name, id, reason, ...(detail === undefined ? {} : { detail }) });
  }
}
