import { z } from 'zod';
import type { RunContext } from '../lib/context.ts';
import { externalSort, type ExternalSortOptions } from '../lib/external-sort.ts';
import { prng } from '../lib/random.ts';
import type { Pair } from '../lib/schemas.ts';

/** Options of `curriculum`. */
export interface CurriculumOptions extends ExternalSortOptions {
  /** Copies of every bucket (default 3). */
  epochs?: number;
  /** Seed of the one PRNG that shuffles every copy (default 0). */
  seed?: number;
}

/** Copies of every curriculum bucket unless told otherwise. */
export const DEFAULT_EPOCHS = 3;

export type OrderedPair = Pair & { curriculum_epoch: number };

/** A pair schema with the curriculum's own column: which copy of its bucket a row is. */
export const ordered = <T extends z.ZodObject>(pairs: T) =>
  pairs.extend({ curriculum_epoch: z.number().int().nonnegative() });

/** The curriculum key range of a shard, for its manifest entry. */
export const keyRange = (rows: { curriculum_key: number }[]) => ({
  curriculum_key_min: Math.min(...rows.map((r) => r.curriculum_key)),
  curriculum_key_max: Math.max(...rows.map((r) => r.curriculum_key)),
});

/**
 * The curriculum order, the training order itself: buckets by `curriculum_key` (lines of the
 * golden middle) ascending; inside a bucket the pairs come `epochs` times, each copy shuffled. One seeded
 * PRNG, drawn in input order, gives every copy of every pair a random rank; an external sort on
 * (key, epoch, rank) then yields the order with bounded memory, whatever the number of pairs.
 *
 * This step is global (it must see every pair before the first comes out), so it runs on the stream
 * between the per-record stages and the sink rather than as an rxjs operator.
 *
 * @example
 * writeShards(curriculum(ctx, pairs, { epochs: 3, seed: 0 }), { dir, columns })
 */
export async function* curriculum<P extends Pair = Pair>(
  ctx: RunContext,
  pairs: AsyncIterable<P>,
  opts: CurriculumOptions = {},
): AsyncGenerator<P & { curriculum_epoch: number }> {
  const epochs = opts.epochs ?? DEFAULT_EPOCHS;
  const rand = prng(opts.seed ?? 0);
  const stats = ctx.stage('curriculum');
  const c = stats.counters;
  type Keyed = { k: number; e: number; r: number; p: P };
  async function* copies(): AsyncGenerator<Keyed> {
    // a problem's pairs arrive together (in input order, merged ranks included): counting runs keeps memory flat
    let problem: string | undefined;
    let run = 0;
    for await (const p of pairs) {
      c.in++;
      c.passed++;
      stats.observe('pairs_per_key', p.curriculum_key);
      if (p.problem_id !== problem) {
        if (run) stats.observe('pairs_per_problem', run);
        [problem, run] = [p.problem_id, 0];
      }
      run++;
      for (let e = 0; e < epochs; e++) yield { k: p.curriculum_key, e, r: Math.floor(rand() * 2 ** 32), p };
    }
    if (run) stats.observe('pairs_per_problem', run);
  }
  const sortOpts = {
    ...opts,
    ...((opts.tmpDir ?? ctx.workDir) ? { tmpDir: opts.tmpDir ?? ctx.workDir } : {}),
  };
  const sorted = externalSort(copies(), (a, b) => a.k - b.k || a.e - b.e || a.r - b.r, sortOpts);
  for await (const x of sorted) {
    c.out++;
    yield { ...x.p, curriculum_epoch: x.e };
  }
}
