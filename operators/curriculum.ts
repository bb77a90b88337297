import type { RunContext } from '../lib/context.ts';
import { externalSort, type ExternalSortOptions } from '../lib/external-sort.ts';
import { prng } from '../lib/random.ts';
import type { Pair } from '../lib/schemas.ts';

export interface CurriculumOptions extends ExternalSortOptions {
  /** Copies of every bucket (default 3). */
  epochs?: number;
  /** Seed of the one PRNG that shuffles every copy (default 0). */
  seed?: number;
}

export type OrderedPair = Pair & { curriculum_epoch: number };

/** A pipeline's curriculum settings as this step's options (undefined ones take the defaults above). */
export function curriculumOptions(cfg: {
  epochs?: number;
  seed?: number;
  tmpDir?: string;
  sortRunSize?: number;
}): CurriculumOptions {
  return {
    ...(cfg.epochs !== undefined ? { epochs: cfg.epochs } : {}),
    ...(cfg.seed !== undefined ? { seed: cfg.seed } : {}),
    ...(cfg.tmpDir ? { tmpDir: cfg.tmpDir } : {}),
    ...(cfg.sortRunSize ? { runSize: cfg.sortRunSize } : {}),
  };
}

/**
 * The curriculum order (SPEC §2.8), the training order itself: buckets by `curriculum_key` (lines of the
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
  const epochs = opts.epochs ?? 3;
  const rand = prng(opts.seed ?? 0);
  const c = ctx.counter('curriculum');
  type Keyed = { k: number; e: number; r: number; p: P };
  async function* copies(): AsyncGenerator<Keyed> {
    for await (const p of pairs) {
      c.in++;
      c.passed++;
      ctx.observe('curriculum', 'pairs_per_key', p.curriculum_key);
      for (let e = 0; e < epochs; e++) yield { k: p.curriculum_key, e, r: Math.floor(rand() * 2 ** 32), p };
    }
  }
  const sorted = externalSort(copies(), (a, b) => a.k - b.k || a.e - b.e || a.r - b.r, opts);
  for await (const x of sorted) {
    c.out++;
    yield { ...x.p, curriculum_epoch: x.e };
  }
}
