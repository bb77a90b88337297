import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Reject } from './schemas.ts';

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

/**
 * What a run shares between its stages: counters per stage and the rejects output.
 * Stages report to it; they never see each other.
 */
export class RunContext {
  readonly stages = new Map<string, StageCounters>();
  readonly startedAt = Date.now();
  private rejectsFd: number | undefined;

  /** @param rejectsPath JSONL file that receives every rejected record; omit to count rejects only. */
  constructor(readonly rejectsPath?: string) {
    if (rejectsPath) {
      mkdirSync(dirname(rejectsPath), { recursive: true });
      this.rejectsFd = openSync(rejectsPath, 'w');
    }
  }

  counter(stage: string): StageCounters {
    let c = this.stages.get(stage);
    if (!c) {
      c = { in: 0, passed: 0, rejected: 0, out: 0, stats: {}, reasons: {} };
      this.stages.set(stage, c);
    }
    return c;
  }

  stat(stage: string, name: string, n = 1): void {
    const s = this.counter(stage).stats;
    s[name] = (s[name] ?? 0) + n;
  }

  /** Record a rejected record. Written synchronously so that a crash never loses an acknowledged reject. */
  reject(r: Reject): void {
    const c = this.counter(r.stage);
    c.reasons[r.reason] = (c.reasons[r.reason] ?? 0) + 1;
    this.rejectsWritten++;
    if (this.rejectsFd !== undefined) writeSync(this.rejectsFd, JSON.stringify(r) + '\n');
  }

  private cleanups: (() => void | Promise<void>)[] = [];
  /** Lines written to the rejects output (a problem-level reject has no stage input of its own). */
  rejectsWritten = 0;

  /** Register a resource to release when the run ends (a worker pool, say). */
  onClose(fn: () => void | Promise<void>): void {
    this.cleanups.push(fn);
  }

  /** Release the run's resources and close the rejects file. */
  async dispose(): Promise<void> {
    for (const fn of this.cleanups.splice(0).reverse()) await fn();
    this.close();
  }

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

  /** Plain-object snapshot of the counters, for the manifest and reports. */
  snapshot(): Record<string, StageCounters> {
    return Object.fromEntries([...this.stages].map(([k, v]) => [k, structuredClone(v)]));
  }
}
