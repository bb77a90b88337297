import type { Tokenizer } from '../lib/code/tokenizer.ts';
import { pipe, type OperatorFunction } from 'rxjs';
import { z } from 'zod';
import { syntaxLeaves } from '../lib/code/blocks.ts';
import type { RunContext } from '../lib/context.ts';
import { groupAdjacent } from '../lib/group.ts';
import { editRegions, lineDiff } from '../lib/code/lcs.ts';
import { levenshtein } from '../lib/code/levenshtein.ts';
import {
  countingYield,
  lineCount,
  nearestMisses,
  pairRecord,
  UNBOUND_COUNTER,
  UNBOUND_NAME,
  verdictTally,
  type RejectedSides,
} from '../lib/code/pairs.ts';
import { chatContext, promptFamily, taskOf } from '../lib/code/prompts.ts';
import { hash32 } from '../lib/random.ts';
import { CheckedCandidate, FocalPair } from '../lib/schemas.ts';
import { Rejected, stage } from '../lib/stage.ts';
import { lineRanges, maskOverlapping, tokenSpans } from '../lib/code/token-spans.ts';

/** Options of `focal`. */
export interface FocalOptions {
  /**
   * The tokenizer of the model to train, for the rejected mask, the token counts and the token-length filter.
   * Without one a row carries its D− lines only (the trainer masks them with its own tokenizer) and the
   * token-length filter waits for the trainer, which drops pairs longer than its limit.
   */
  tokenizer?: Tokenizer;
  /** Seed of the choice of the rejected version (default 0). */
  seed?: number;
  /** D− longer than this many lines is dropped (default 20). */
  maxDiffLines?: number;
  /** Either side longer than this many tokens is dropped (default 2048). */
  maxTokens?: number;
  /**
   * `reference` (default): chosen = the passing reference program, rejected = a failing variant.
   * `final`: the versions of a refinement (`refine`): chosen = the final version, which must pass,
   * rejected = one of the earlier (failing) versions.
   */
  chosen?: 'reference' | 'final';
  /**
   * The verdicts a rejected version may have: `fail,error` (default: wrong answers and runtime errors, as the
   * paper's failing versions), `fail`, or `fail,error,timeout`. Compile errors never.
   */
  rejected?: RejectedSides;
}

const lines = (code: string) => code.replace(/\n$/, '').split('\n');
const sameSyntaxTree = (a: string, b: string) =>
  syntaxLeaves(a).join('\u0000') === syntaxLeaves(b).join('\u0000');

/**
 * Target-DPO pairs from the checked variants of whole programs: chosen = the passing reference
 * program, rejected = the failing variant nearest to right among those whose D− holds a line of code (the
 * most tests passed, then not stopped on an unbound name, then the smallest edit; ties by the seed), and whose
 * D− and syntax tree make a usable pair where one does; or, after `refine`, chosen = the final passing version and rejected = one of the earlier
 * ones (`no_passing_version` otherwise). The lines outside one longest common subsequence are D+ and D−.
 * Filters, each a reject reason: `dminus_empty_or_comments` (no version has a D− with code),
 * `dminus_too_long`, `too_many_tokens`, `same_syntax_tree` (the two differ in comments or formatting only);
 * `no_failing_variant` when no variant failed. The rejected mask marks the tokens that overlap D− lines
 * (each with its newline).
 *
 * @example
 * pipe(check(ctx, { pool }), focal(ctx, { tokenizer }))
 */
export function focal(ctx: RunContext, opts: FocalOptions): OperatorFunction<CheckedCandidate, FocalPair> {
  const maxDiff = opts.maxDiffLines ?? 20;
  const maxTokens = opts.maxTokens ?? 2048;
  const rejectable = new Set((opts.rejected ?? 'fail,error').split(','));
  const run = stage(
    ctx,
    { name: 'focal', input: z.array(CheckedCandidate).min(1), output: FocalPair, id: (g) => g[0]!.target_id },
    (stats) => (group) =>
      countingYield(stats, group[0]!.problem.source, () => {
        const t = group[0]!;
        const last = group[group.length - 1]!;
        if (opts.chosen === 'final' && last.verdict !== 'pass') {
          throw new Rejected('no_passing_version', `none of ${group.length} versions passed its tests`);
        }
        // the reference program passed its tests in `label`; a refinement's final version in `refine`
        const chosenC =
          opts.chosen === 'final' ? last : { candidate: t.middle, candidate_index: 0, origin: 'reference' };
        const chosen = chosenC.candidate;
        const earlier = opts.chosen === 'final' ? group.slice(0, -1) : group;
        const failing = earlier.filter((c) => rejectable.has(c.verdict) && c.candidate !== chosen);
        if (failing.length === 0)
          throw new Rejected(
            'no_failing_variant',
            `no version is a rejected side (${[...rejectable].join(', ')}): ${verdictTally(earlier)}`,
          );
        // a variant whose D− holds code: a deleted statement leaves D− empty, and the paper's rejected
        // versions are buggy attempts, not deletions
        const withCode = failing
          .map((c) => ({ c, ...lineDiff(lines(chosen), lines(c.candidate)) }))
          .filter(({ c, minus }) => minus.some((i) => !/^\s*(#.*)?$/.test(lines(c.candidate)[i]!)));
        if (withCode.length === 0)
          throw new Rejected(
            'dminus_empty_or_comments',
            `none of ${failing.length} failing variants changes a line of code`,
          );
        // the closest miss that is a usable pair: a D− short enough, a syntax tree of its own
        const ranked = nearestMisses(
          withCode.map((w) => ({ ...w.c, w })),
          (c) => levenshtein(chosen, c.candidate),
          (c) => hash32(`${t.target_id}#${c.candidate_index}`, opts.seed ?? 0),
        ).map((c) => c.w);
        const usable = (w: (typeof withCode)[number]) =>
          w.minus.length <= maxDiff && !sameSyntaxTree(chosen, w.c.candidate);
        const pick = ranked.find(usable) ?? ranked[0]!;
        const rejectedC = pick.c;
        const rejected = rejectedC.candidate;
        const { plus, minus } = pick;
        if (minus.length > maxDiff)
          throw new Rejected('dminus_too_long', `D− has ${minus.length} lines (> ${maxDiff})`);
        const cTok = opts.tokenizer && tokenSpans(opts.tokenizer, chosen);
        const rTok = opts.tokenizer && tokenSpans(opts.tokenizer, rejected);
        const longest = Math.max(cTok?.ids.length ?? 0, rTok?.ids.length ?? 0);
        if (longest > maxTokens) throw new Rejected('too_many_tokens', `${longest} tokens (> ${maxTokens})`);
        if (sameSyntaxTree(chosen, rejected)) {
          throw new Rejected('same_syntax_tree', 'the versions differ in comments or formatting only');
        }
        const dMinus = minus.map((i) => i + 1);
        const mask = rTok ? maskOverlapping(rTok.spans, lineRanges(rejected, dMinus)) : null;
        stats.observe('dminus_lines', minus.length);
        stats.stat(`chosen_${chosenC.origin}`);
        stats.stat(`rejected_${rejectedC.origin}`);
        stats.stat(`pairs_rejecting_${rejectedC.verdict}`);
        if (UNBOUND_NAME.test(rejectedC.error)) stats.stat(UNBOUND_COUNTER);
        if (editRegions(lines(chosen), lines(rejected)) > 1) stats.stat('multi_region');
        if (mask && rTok) {
          const masked = mask.reduce((n: number, x) => n + x, 0);
          stats.observe('mask_coverage_pct', 5 * Math.floor((100 * masked) / Math.max(1, mask.length) / 5));
          stats.observe('rejected_tokens', 64 * Math.floor(rTok.ids.length / 64));
        } else stats.stat('masks_left_to_the_trainer');
        return [
          {
            ...pairRecord(
              t,
              chosenC,
              rejectedC,
              {
                fim: '',
                chat: chatContext(promptFamily(t.prompt_family), taskOf(t.problem), ''),
              },
              levenshtein(chosen, rejected),
            ),
            curriculum_key: lineCount(chosen), // the chosen program: a refinement's final version
            chosen_code: chosen,
            rejected_code: rejected,
            chosen_diff_lines: plus.map((i) => i + 1),
            rejected_diff_lines: dMinus,
            rejected_mask: mask,
            chosen_tokens: cTok ? cTok.ids.length : null,
            rejected_tokens: rTok ? rTok.ids.length : null,
          },
        ];
      }),
  );
  return pipe(
    groupAdjacent((c: CheckedCandidate) => c.target_id),
    run,
  );
}
