import type { CheckedCandidate, Pair } from '../schemas.ts';
import { Rejected } from '../stage.ts';
import { findBlocks } from './blocks.ts';

/** One side of a pair: the candidate text, its position in generation order, and what made it. */
export interface PairSide {
  candidate: string;
  candidate_index: number;
  origin: string;
  /** A checked candidate's verdict and error (a reference side has none). */
  verdict?: string;
  error?: string;
}

/** What may be a pair's rejected side, by verdict: a wrong answer; with more, runtime errors and timeouts too. */
export const REJECTED_SIDES = ['fail', 'fail,error', 'fail,error,timeout'] as const;
export type RejectedSides = (typeof REJECTED_SIDES)[number];

const SAID: Record<string, string> = {
  pass: 'passed',
  fail: 'answered wrong',
  error: 'raised',
  timeout: 'timed out',
  memory: 'ran out of memory',
  output_limit: 'printed too much',
  compile_error: 'did not compile',
  no_tests: 'had no tests',
};

/** What the candidates were, for a reject's text: `3 passed, 2 raised`. */
export function verdictTally(candidates: { verdict: string }[]): string {
  const n = new Map<string, number>();
  for (const c of candidates) n.set(c.verdict, (n.get(c.verdict) ?? 0) + 1);
  return [...n].map(([v, k]) => `${k} ${SAID[v] ?? v}`).join(', ');
}

/** What orders the curriculum: lines of the golden middle (the default), or the target block's depth. */
export const CURRICULUM_KEYS = ['lines', 'depth'] as const;
export type CurriculumKey = (typeof CURRICULUM_KEYS)[number];

/**
 * The curriculum key of a target's pairs. `depth` is the block's height in the block tree (1 for a block with
 * no block inside); a whole program contains every block, so it counts one more than its deepest block.
 */
export function curriculumKey(
  t: { kind: string; depth: number; middle: string },
  key: CurriculumKey,
): number {
  if (key === 'lines') return lineCount(t.middle);
  if (t.kind !== 'full') return t.depth;
  return 1 + Math.max(0, ...findBlocks(t.middle).map((b) => b.depth));
}

/** Lines of a middle (final newlines aside): the default curriculum key. */
export const lineCount = (s: string) => s.replace(/\n+$/, '').split('\n').length;

/**
 * The columns every pair carries (docs/method.md, Pairs, curriculum and Target-DPO), from its target, its two
 * sides and the training contexts.
 * TRL's `prompt` is the FIM context for block targets and the chat context for full ones.
 */
export function pairRecord(
  t: CheckedCandidate,
  chosen: PairSide,
  rejected: PairSide,
  prompts: { fim: string; chat: string },
  editDistance: number,
): Pair {
  return {
    problem_id: t.problem_id,
    problem_index: t.problem.problem_index ?? 0,
    solution_index: t.solution_index,
    target_id: t.target_id,
    kind: t.kind,
    block_type: t.block_type,
    depth: t.depth,
    start_line: t.start_line,
    end_line: t.end_line,
    curriculum_key: lineCount(t.middle),
    question: t.question,
    test_kind: t.problem.tests.kind,
    starter_code: t.starter_code,
    prefix: t.prefix,
    suffix: t.suffix,
    chosen_middle: chosen.candidate,
    rejected_middle: rejected.candidate,
    chosen_index: chosen.candidate_index,
    rejected_index: rejected.candidate_index,
    chosen_origin: chosen.origin,
    rejected_origin: rejected.origin,
    rejected_verdict: rejected.verdict ?? '',
    rejected_error: rejected.error ?? '',
    edit_distance: editDistance,
    fim_prompt: prompts.fim,
    chat_prompt: prompts.chat,
    prompt: t.kind === 'full' ? prompts.chat : prompts.fim,
    chosen: chosen.candidate,
    rejected: rejected.candidate,
  };
}

/** The pair stages' counters of what became of each target, `targets_of:<dataset>:<outcome>`: the report's
 *  yield per dataset. */
export const YIELD_PREFIX = 'targets_of:';

/**
 * The pairs `make` gives for one target of a problem from `source`, counting the target's outcome: `paired`, or
 * the reason it was rejected (rethrown).
 */
export function countingYield<T>(stats: { stat(key: string): void }, source: string, make: () => T[]): T[] {
  try {
    const out = make();
    stats.stat(`${YIELD_PREFIX}${source}:paired`);
    return out;
  } catch (err) {
    if (err instanceof Rejected) stats.stat(`${YIELD_PREFIX}${source}:${err.reason}`);
    throw err;
  }
}

/** A rejected side that stopped on a name never bound (a renamed parameter, a variable never set): it fails
 *  every test at once, so it is no near miss of the right program. */
export const UNBOUND_NAME = /\b(?:NameError|UnboundLocalError)\b/;

/** The pair stages' counter of rejected sides that failed on an unbound name (the report gives their share). */
export const UNBOUND_COUNTER = 'unbound_name_rejected';

/**
 * Failing candidates, closest to right first: the most tests passed, then not stopped on an unbound name, then
 * the smallest edit from `right` (`distance`), then `tie` (a seeded order), then generation order.
 */
export function nearestMisses<
  C extends { passed_tests?: number | undefined; error: string; candidate: string },
>(wrong: C[], distance: (c: C) => number, tie: (c: C) => number = () => 0): C[] {
  const key = (c: C) => [-(c.passed_tests ?? 0), UNBOUND_NAME.test(c.error) ? 1 : 0, distance(c), tie(c)];
  const keyed = wrong.map((c, i) => ({ c, k: [...key(c), i] }));
  keyed.sort((a, b) => {
    for (let i = 0; i < a.k.length; i++) if (a.k[i] !== b.k[i]) return a.k[i]! - b.k[i]!;
    return 0;
  });
  return keyed.map((x) => x.c);
}
