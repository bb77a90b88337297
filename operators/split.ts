import type { OperatorFunction } from 'rxjs';
import { countWords, cutLines, PythonSyntaxError, splitBlocks, type Block } from '../lib/code/blocks.ts';
import { shownInPrompt } from '../lib/code/given.ts';
import type { RunContext } from '../lib/context.ts';
import { FormattedSolution, Target, type LabeledSolution } from '../lib/schemas.ts';
import { Rejected, stage } from '../lib/stage.ts';

/** Options of `split`. */
export interface SplitOptions {
  /** The reference code's quirk: a `def` whose name contains `_` is not a target (its inner blocks are).
   *  Default true. */
  skipUnderscoreDefs?: boolean;
  /** Solutions with more whitespace-separated words than this give no block targets. Default 2048. */
  maxWords?: number;
  /** Emit one `full` target per problem from its first solution reaching this stage. Default true. */
  full?: boolean;
  /** A `full` target for every solution instead of the first of each problem (Target-DPO). Default false. */
  fullForEvery?: boolean;
  /** Emit the block targets. Default true. */
  blocks?: boolean;
  /** The stage's name in counts and reports. Default `split` (Target-DPO, which takes whole programs, says `programs`). */
  name?: string;
}

/** Solutions with more words than this give no block targets (the reference's cut). */
export const DEFAULT_MAX_WORDS = 2048;

/**
 * Splits each (passing, formatted) solution into fill-in-the-middle targets, one per if/for/while/def
 * block, after removing comments with the syntax tree. The first solution of each problem
 * also gives the `full` target (prefix and suffix empty).
 *
 * A block the prompt already shows verbatim (the question, the starter code, the given code) is no target: the
 * model would learn to copy it (counted as `blocks_shown_in_prompt`).
 *
 * Rejects: `syntax_error`; `shown_in_prompt` when every block is so shown and no full target is due; `too_many_words` or `no_blocks` when a solution yields no target at all;
 * `not_first_solution` without block targets, for the solutions after a problem's first.
 *
 * @example
 * pipe(format(ctx), split(ctx, { skipUnderscoreDefs: true }), fim(ctx))
 */
export function split(ctx: RunContext, opts: SplitOptions = {}): OperatorFunction<FormattedSolution, Target> {
  const {
    skipUnderscoreDefs = true,
    maxWords = DEFAULT_MAX_WORDS,
    full = true,
    fullForEvery = false,
    blocks = true,
    name = 'split',
  } = opts;
  const id = (s: FormattedSolution) => `${s.problem_id}/${s.solution_index}`;
  return stage(ctx, { name, input: FormattedSolution, output: Target, id }, (stats) => {
    const withFull = new Set<string>();
    return (s) => {
      let code: string;
      let found: Block[];
      try {
        ({ code, blocks: found } = splitBlocks(s.code, { skipUnderscoreDefs }));
      } catch (err) {
        if (err instanceof PythonSyntaxError) throw new Rejected('syntax_error', err.message);
        throw err;
      }
      const ref = (s as Partial<LabeledSolution>).test_results?.map((t) => t.cpu_ms ?? 0);
      const base = {
        problem: s.problem,
        problem_id: s.problem_id,
        solution_index: s.solution_index,
        ...(ref ? { ref_cpu_ms: ref } : {}),
      };
      const targets: Target[] = [];
      const tooLong = countWords(s.code) > maxWords;
      const shown = [s.problem.question, s.problem.starter_code, s.problem.given ?? ''];
      let copies = 0;
      if (tooLong) stats.stat('too_many_words');
      else if (blocks) {
        for (const b of found) {
          const cut = cutLines(code, b.start_line, b.end_line);
          if (shownInPrompt(cut.middle, shown)) {
            copies++;
            continue;
          }
          targets.push({
            ...base,
            target_id: `${id(s)}/${b.start_line}-${b.end_line}`,
            kind: 'fim',
            block_type: b.type,
            depth: b.depth,
            start_line: b.start_line,
            end_line: b.end_line,
            ...cut,
          });
        }
        if (copies) stats.stat('blocks_shown_in_prompt', copies);
      }
      if (full && (fullForEvery || !withFull.has(s.problem_id))) {
        withFull.add(s.problem_id);
        targets.push({
          ...base,
          target_id: `${id(s)}/full`,
          kind: 'full',
          block_type: 'full',
          depth: 0,
          start_line: 1,
          end_line: code.split('\n').length - 1,
          prefix: '',
          middle: code,
          suffix: '',
        });
      }
      for (const t of targets) {
        if (t.kind !== 'fim') continue;
        stats.observe('block_lines', t.end_line - t.start_line + 1);
        stats.observe('block_depth', t.depth);
      }
      if (targets.length === 0) {
        if (tooLong) throw new Rejected('too_many_words', `more than ${maxWords} words`);
        if (copies)
          throw new Rejected(
            'shown_in_prompt',
            `each of its ${copies} blocks is shown verbatim in the prompt`,
          );
        if (!blocks)
          throw new Rejected(
            'not_first_solution',
            'one whole program per problem: an earlier solution gave it',
          );
        throw new Rejected('no_blocks', 'no if/for/while/def block to fill in');
      }
      return targets;
    };
  });
}
