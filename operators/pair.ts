import { pipe, type OperatorFunction } from 'rxjs';
import { z } from 'zod';
import type { RunContext } from '../lib/context.ts';
import { groupAdjacent } from '../lib/group.ts';
import { editRegions } from '../lib/code/lcs.ts';
import { levenshtein } from '../lib/code/levenshtein.ts';
import {
  countingYield,
  curriculumKey,
  nearestMisses,
  pairRecord,
  UNBOUND_COUNTER,
  UNBOUND_NAME,
  verdictTally,
  type CurriculumKey,
  type RejectedSides,
} from '../lib/code/pairs.ts';
import { DEFAULT_FAMILY, chatContext, fimContext, promptFamily, taskOf } from '../lib/code/prompts.ts';
import { CheckedCandidate, Pair } from '../lib/schemas.ts';
import { Rejected, stage } from '../lib/stage.ts';

/** Options of `pair`. */
export interface PairOptions {
  /** `paper` (default): every wrong candidate with its nearest right one. `reference`: one pair per target,
   *  its rejected side the closest miss (most tests passed, no unbound name, smallest edit). */
  mode?: 'paper' | 'reference';
  /** Prompt token set of the training contexts (default qwen). */
  family?: string;
  /** `nearest` (default, the paper's model samples): the right candidate nearest to the wrong one.
   *  `golden` (model-free candidates, which are edits of the golden middle): the golden middle, when it
   *  passed, so that the two sides differ only by the edit (`no_golden_pass` otherwise). */
  chosen?: 'nearest' | 'golden';
  /** The verdicts a rejected side may have: `fail` (default, as the reference), or with runtime errors and timeouts. */
  rejected?: RejectedSides;
  /** The curriculum key: `lines` of the golden middle (default) or `depth` of the target block. */
  curriculumKey?: CurriculumKey;
}

/**
 * Preference pairs of a target. Candidates are deduplicated (same text once newlines at both ends are
 * trimmed; the first in generation order stays); right = verdict `pass`, wrong = verdict `fail` (by default,
 * as the reference: runtime errors, timeouts and compile errors are not used; `rejected` admits the first two). Each wrong candidate is
 * paired with the right one at the least Levenshtein distance over code points, the first in
 * generation order on a tie (or with the golden middle: `chosen`). A target without a right or without a
 * wrong candidate is rejected (`no_right` / `no_wrong`). Counters: the origins of both sides
 * (`chosen_<origin>`, `rejected_<origin>`) and `multi_region` pairs, whose sides differ in more than one
 * place. Input: the checked candidates, those of one target adjacent.
 *
 * @example
 * pipe(check(ctx, { pool }), pair(ctx, { mode: 'paper' }))
 */
export function pair(ctx: RunContext, opts: PairOptions = {}): OperatorFunction<CheckedCandidate, Pair> {
  const mode = opts.mode ?? 'paper';
  const trim = (s: string) => s.replace(/^\n+|\n+$/g, '');
  const family = promptFamily(opts.family ?? DEFAULT_FAMILY);
  const rejectable = new Set((opts.rejected ?? 'fail').split(','));
  const run = stage(
    ctx,
    { name: 'pair', input: z.array(CheckedCandidate).min(1), output: Pair, id: (g) => g[0]!.target_id },
    (stats) => (group) =>
      countingYield(stats, group[0]!.problem.source, () => {
        const seen = new Set<string>();
        const unique = group.filter((c) => {
          const k = trim(c.candidate);
          if (seen.has(k)) return false;
          seen.add(k);
          return true;
        });
        stats.stat('duplicates_dropped', group.length - unique.length);
        const passed = unique.filter((c) => c.verdict === 'pass');
        const right =
          opts.chosen === 'golden' ? passed.filter((c) => trim(c.candidate) === trim(c.middle)) : passed;
        const wrong = unique.filter((c) => rejectable.has(c.verdict));
        if (passed.length === 0)
          throw new Rejected('no_right', `none of ${unique.length} distinct candidates passed`);
        if (right.length === 0)
          throw new Rejected('no_golden_pass', 'the golden middle was not a passing candidate');
        if (wrong.length === 0)
          throw new Rejected(
            'no_wrong',
            `no distinct candidate is a rejected side (${[...rejectable].join(', ')}): ${verdictTally(unique)}`,
          );
        const t = group[0]!;
        // the trainer's own training contexts, so that prompt + chosen is exactly the text it trains on
        const task = taskOf(t.problem);
        const fimPrompt = fimContext(family, task, t.prefix, t.suffix);
        const chatPrompt = chatContext(family, task, t.prefix);
        const key = curriculumKey(t, opts.curriculumKey ?? 'lines');
        // the closest misses first: one pair per target takes the nearest to right
        const golden = right[0]!.candidate;
        const ranked = nearestMisses(wrong, (w) => levenshtein(w.candidate, golden));
        return (mode === 'paper' ? wrong : ranked.slice(0, 1)).map((w) => {
          let best = right[0]!;
          let bestD = levenshtein(w.candidate, best.candidate);
          for (const r of right.slice(1)) {
            const d = levenshtein(w.candidate, r.candidate);
            if (d < bestD) [best, bestD] = [r, d];
          }
          stats.stat(`chosen_${best.origin}`);
          stats.stat(`rejected_${w.origin}`);
          stats.stat(`pairs_rejecting_${w.verdict}`);
          if (UNBOUND_NAME.test(w.error)) stats.stat(UNBOUND_COUNTER);
          if (editRegions(best.candidate.split('\n'), w.candidate.split('\n')) > 1)
            stats.stat('multi_region');
          return {
            ...pairRecord(t, best, w, { fim: fimPrompt, chat: chatPrompt }, bestD),
            curriculum_key: key,
          };
        });
      }),
  );
  return pipe(
    groupAdjacent((c: CheckedCandidate) => c.target_id),
    run,
  );
}
