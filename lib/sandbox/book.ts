import type { StageStats } from '../context.ts';
import type { ExecResult } from './pool.ts';

/** What the stages spent on programs they ran, `sandbox_runs_of:<dataset>:<verdict>`, and on the CPU those used,
 *  `sandbox_cpu_ms_of:<dataset>:<verdict>`: the report's table of where the sandbox's time went. */
export const SANDBOX_RUNS = 'sandbox_runs_of:';
export const SANDBOX_CPU = 'sandbox_cpu_ms_of:';

/**
 * Books one `pool.run` in its stage's accounts: the counter `cache_hits` when the verdict cache answered it, else
 * the program and the CPU it used as spent, under its dataset and verdict (what a rerun on the cache would not spend).
 */
export function bookRun(stats: Pick<StageStats, 'stat' | 'spend'>, dataset: string, r: ExecResult): void {
  if (r.cached) {
    stats.stat('cache_hits');
    return;
  }
  stats.spend(`${SANDBOX_RUNS}${dataset}:${r.verdict}`, 1);
  stats.spend(`${SANDBOX_CPU}${dataset}:${r.verdict}`, r.cpu_ms ?? 0);
}
