import { concatMap, from, pipe, type OperatorFunction } from 'rxjs';
import { groupAdjacent } from '../lib/group.ts';
import type { RunContext } from '../lib/context.ts';
import { hash32, prng, shuffle } from '../lib/random.ts';

/** Options of `cap`. */
export interface CapOptions {
  /** Pairs a problem keeps at most. */
  max: number;
  /** Seed of the choice (default 0): the same seed keeps the same pairs. */
  seed?: number;
}

/** What `cap` reads of a pair. */
export interface Cappable {
  problem_id: string;
  target_id: string;
  rejected_index: number;
}

/**
 * At most `max` pairs per problem, so that a problem with many blocks and many wrong candidates does not
 * dominate the data (on HumanEval one problem gave 25 pairs against a mean of 7). Which pairs stay is a
 * seeded choice per problem; they keep their order. The others go to the rejects as `problem_cap`.
 * Input: the pairs of one problem adjacent (as the pipelines make them).
 *
 * @example
 * pipe(pair(ctx), cap(ctx, { max: 8, seed: 0 }))
 */
export function cap<P extends Cappable>(ctx: RunContext, opts: CapOptions): OperatorFunction<P, P> {
  const stats = ctx.stage('cap');
  const c = stats.counters;
  const capped = (group: P[]): P[] => {
    c.in += group.length;
    if (group.length <= opts.max) {
      c.passed += group.length;
      c.out += group.length;
      return group;
    }
    stats.stat('problems_capped');
    const rand = prng(hash32(group[0]!.problem_id, opts.seed ?? 0));
    const keep = new Set(shuffle([...group.keys()], rand).slice(0, opts.max));
    for (const [i, p] of group.entries()) {
      if (keep.has(i)) continue;
      const why = `its problem has ${group.length} pairs; ${opts.max} kept (--max-pairs-per-problem)`;
      stats.reject(`${p.target_id}#${p.rejected_index}`, 'problem_cap', why);
    }
    c.passed += opts.max;
    c.out += opts.max;
    return group.filter((_, i) => keep.has(i));
  };
  return pipe(
    groupAdjacent((p: P) => p.problem_id),
    concatMap((group) => from(capped(group))),
  );
}
