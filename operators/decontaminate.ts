import type { OperatorFunction } from 'rxjs';
import type { RunContext } from '../lib/context.ts';
import { hash32 } from '../lib/random.ts';
import { Problem } from '../lib/schemas.ts';
import { Rejected, stage } from '../lib/stage.ts';

/** Word n-grams: long enough that ordinary phrasing ("the first line contains an integer n") rarely fills half of an item. */
export const DEFAULT_NGRAM = 10;
/** Share of one evaluation text's n-grams that a problem must contain to be a copy of it. */
export const DEFAULT_OVERLAP = 0.5;

/** One item of an evaluation set: its id and texts (its question and each of its solutions). */
export interface EvalItem {
  id: string;
  texts: string[];
}

/** Options of `decontaminate`. */
export interface DecontaminateOptions {
  /** The evaluation items, read once, at the first problem. */
  evals: () => AsyncIterable<EvalItem>;
  ngram?: number;
  overlap?: number;
}

/** Lower-cased words and single punctuation marks: formatting and case do not hide a copy. */
const tokens = (text: string) => text.toLowerCase().match(/[a-z0-9_]+|[^\sa-z0-9_]/g) ?? [];

/** The distinct n-grams of a text, hashed (a short text is one n-gram of all its tokens). */
function grams(text: string, n: number): Set<number> {
  const t = tokens(text);
  const out = new Set<number>();
  if (t.length === 0) return out;
  for (let i = 0; i + n <= Math.max(n, t.length); i++) {
    const g = t.slice(i, i + n).join(' ');
    out.add(hash32(g) * 2 ** 21 + (hash32(g, 0x9e3779b9) >>> 11)); // 53 bits: collisions do not add up to a copy
  }
  return out;
}

interface Index {
  /** n-gram → the evaluation texts holding it (text numbers). */
  postings: Map<number, number[]>;
  texts: { item: string; size: number }[];
}

async function buildIndex(items: AsyncIterable<EvalItem>, n: number): Promise<Index> {
  const index: Index = { postings: new Map(), texts: [] };
  for await (const item of items) {
    for (const text of item.texts) {
      const g = grams(text, n);
      if (g.size === 0) continue;
      const k = index.texts.push({ item: item.id, size: g.size }) - 1;
      for (const h of g) {
        const list = index.postings.get(h);
        if (list) list.push(k);
        else index.postings.set(h, [k]);
      }
    }
  }
  return index;
}

/**
 * Decontamination: drops a problem whose question or solutions contain at least `overlap` of the word
 * n-grams of a question or solution of an evaluation item (HumanEval, MBPP, LiveCodeBench… read with the
 * same readers), so no pair teaches a benchmark's answer. The reject (`contaminated`) names the item and
 * the share. Comparing against each evaluation text on its own catches a copied question even when its
 * solution differs, and a copied solution under a reworded question.
 *
 * @example
 * pipe(decontaminate(ctx, { evals: () => evalItems('humaneval.jsonl') }), solutions(ctx))
 */
export function decontaminate(
  ctx: RunContext,
  opts: DecontaminateOptions,
): OperatorFunction<Problem, Problem> {
  const n = opts.ngram ?? DEFAULT_NGRAM;
  const overlap = opts.overlap ?? DEFAULT_OVERLAP;
  let index: Promise<Index> | undefined;
  return stage(
    ctx,
    { name: 'decontaminate', input: Problem, output: Problem, id: (p) => p.problem_id },
    () => async (p) => {
      const { postings, texts } = await (index ??= buildIndex(opts.evals(), n));
      const shared = new Map<number, number>();
      const mine = new Set<number>();
      for (const text of [p.question, ...p.solutions]) for (const h of grams(text, n)) mine.add(h);
      for (const h of mine) for (const k of postings.get(h) ?? []) shared.set(k, (shared.get(k) ?? 0) + 1);
      let worst: { k: number; share: number } | undefined;
      for (const [k, count] of shared) {
        const share = count / texts[k]!.size;
        if (!worst || share > worst.share) worst = { k, share };
      }
      if (worst && worst.share >= overlap) {
        const pct = Math.round(100 * worst.share);
        throw new Rejected(
          'contaminated',
          `holds ${pct} % of the ${n}-grams of evaluation item ${texts[worst.k]!.item}`,
        );
      }
      return [p];
    },
  );
}
