import { lineDiff } from '../lib/code/lcs.ts';
import { UNBOUND_COUNTER, YIELD_PREFIX } from '../lib/code/pairs.ts';
import { SANDBOX_CPU, SANDBOX_RUNS } from '../lib/sandbox/book.ts';
import type { Chart, ReportSpec } from '../lib/report.ts';
import type { BrowsedPair, PairBrowser } from '../lib/report-pairs.ts';

// What the pipelines' reports show beyond the stage table (lib/report.ts draws whatever is declared here).

const PROMPT_END = 600;
const str = (v: unknown) => (typeof v === 'string' ? v : v == null ? '' : String(v));
const lines = (s: string) => s.replace(/\n$/, '').split('\n');
const firstLine = (s: string) => s.split('\n').find((l) => l.trim()) ?? '';

/** The facts every pair shows: sides' verdicts and origins, and the rejected side's first error. */
function pairView(
  row: Record<string, unknown>,
  chosen: string,
  rejected: string,
  marks: { chosen: number[]; rejected: number[] },
  extra: { filters?: Record<string, string>; notes?: string[] } = {},
): BrowsedPair | undefined {
  if (row.curriculum_epoch !== undefined && row.curriculum_epoch !== 0) return undefined; // a repeat
  const prompt = str(row.prompt);
  const error = firstLine(str(row.rejected_error));
  return {
    filters: {
      'block type': str(row.block_type),
      'curriculum bucket': str(row.curriculum_key),
      'rejected origin': str(row.rejected_origin),
      ...extra.filters,
    },
    question: str(row.question),
    prompt_end: prompt.length > PROMPT_END ? '…' + prompt.slice(-PROMPT_END) : prompt,
    chosen,
    rejected,
    chosen_lines: marks.chosen,
    rejected_lines: marks.rejected,
    notes: [
      `chosen: pass (${str(row.chosen_origin)}) · rejected: ${str(row.rejected_verdict) || 'fail'} (${str(row.rejected_origin)})`,
      ...(error ? [`rejected side's first error: ${error}`] : []),
      ...(extra.notes ?? []),
    ],
  };
}

/** StructureCoder: the two middles, the lines outside their LCS highlighted. */
const BLOCK_PAIRS: PairBrowser = {
  needs: ['chosen_middle', 'rejected_middle', 'prompt', 'rejected_error'],
  view(row) {
    const [c, r] = [str(row.chosen_middle), str(row.rejected_middle)];
    const d = lineDiff(lines(c), lines(r));
    return pairView(
      row,
      c,
      r,
      { chosen: d.plus.map((i) => i + 1), rejected: d.minus.map((i) => i + 1) },
      {
        notes: [`edit distance ${str(row.edit_distance)}`],
      },
    );
  },
};

/** Target-DPO: the whole programs, D+ and D− highlighted, and how many rejected tokens the mask keeps. */
const FOCAL_PAIRS: PairBrowser = {
  needs: ['chosen_code', 'rejected_code', 'chosen_diff_lines', 'rejected_diff_lines', 'rejected_mask'],
  view(row) {
    const nums = (v: unknown) => Array.from((v ?? []) as ArrayLike<number>, Number);
    const mask = nums(row.rejected_mask);
    const masked = mask.filter((x) => x === 1).length;
    const dMinus = nums(row.rejected_diff_lines);
    return pairView(
      row,
      str(row.chosen_code),
      str(row.rejected_code),
      { chosen: nums(row.chosen_diff_lines), rejected: dMinus },
      {
        filters: { 'D− lines': String(dMinus.length) },
        notes: [
          row.rejected_mask == null
            ? 'no token mask (no --tokenizer): the trainer masks the D− lines with its own tokenizer'
            : `masked tokens (the loss's D− tokens): ${masked} of ${mask.length} rejected tokens`,
        ],
      },
    );
  },
};

/** The stages' counters of the programs they ran (lib/sandbox/book.ts). */
const SANDBOX = { runs: SANDBOX_RUNS, cpu: SANDBOX_CPU };

const pairCharts = (pairs: string): ReportSpec => ({
  verdictPrefix: 'verdict_',
  pairs: {
    stage: pairs,
    chosen: 'chosen_',
    rejected: 'rejected_',
    multiRegion: 'multi_region',
    yield: YIELD_PREFIX,
    unboundName: UNBOUND_COUNTER,
  },
  sandbox: SANDBOX,
  charts: [],
});

const VERDICTS: Chart = { id: 'verdicts', title: 'Verdicts per stage', kind: 'verdicts' };
/** Pairs per curriculum bucket; `key` says what the default key counts in this pipeline. */
const pairsPerKey = (key: string): Chart => ({
  id: 'pairs-per-key',
  title: `Pairs per curriculum bucket (${key}, or depth with --curriculum-key depth)`,
  kind: 'histogram',
  stage: 'curriculum',
  hist: 'pairs_per_key',
  label: 'pairs',
  x: 'curriculum key',
});
const PAIRS_PER_PROBLEM: Chart = {
  id: 'pairs-per-problem',
  title:
    'Problems by their number of pairs (how evenly the problems are represented; cap with --max-pairs-per-problem)',
  kind: 'histogram',
  stage: 'curriculum',
  hist: 'pairs_per_problem',
  label: 'problems',
  x: 'pairs of the problem',
};
const ORIGINS: Chart = {
  id: 'pair-origins',
  title: 'Pair sides by origin (what made the chosen and the rejected text)',
  kind: 'origins',
};

/** What a StructureCoder report shows: block sizes and depths, verdicts, the curriculum, the pairs' origins. */
export const STRUCTURECODER_REPORT: ReportSpec = {
  ...pairCharts('pair'),
  browse: BLOCK_PAIRS,
  charts: [
    {
      id: 'block-lines',
      title: 'Block targets by length (lines)',
      kind: 'histogram',
      stage: 'split',
      hist: 'block_lines',
      label: 'block targets',
      x: 'lines',
    },
    {
      id: 'block-depth',
      title: 'Block targets by nesting depth',
      kind: 'histogram',
      stage: 'split',
      hist: 'block_depth',
      label: 'block targets',
      x: 'nesting depth',
    },
    VERDICTS,
    pairsPerKey('lines of the golden middle'),
    PAIRS_PER_PROBLEM,
    ORIGINS,
  ],
};

/** A Target-DPO report has no block targets; it shows what its pairs are made of instead. */
export const TARGETDPO_REPORT: ReportSpec = {
  ...pairCharts('focal'),
  browse: FOCAL_PAIRS,
  charts: [
    {
      id: 'dminus-lines',
      title: 'Pairs by D− size (lines of the rejected program outside the LCS)',
      kind: 'histogram',
      stage: 'focal',
      hist: 'dminus_lines',
      label: 'pairs',
      x: 'D− lines',
    },
    {
      id: 'mask-coverage',
      title: 'Mask coverage (masked tokens / rejected tokens, %)',
      kind: 'histogram',
      stage: 'focal',
      hist: 'mask_coverage_pct',
      label: 'pairs',
      x: 'masked share of rejected tokens (%)',
    },
    {
      id: 'rejected-tokens',
      title: 'Rejected programs by length (tokens, 64-token bins)',
      kind: 'histogram',
      stage: 'focal',
      hist: 'rejected_tokens',
      label: 'pairs',
      x: 'rejected tokens (bin start)',
    },
    VERDICTS,
    pairsPerKey('lines of the chosen program'),
    PAIRS_PER_PROBLEM,
    ORIGINS,
  ],
};

/** An evaluation's report: the samples' verdicts, and per problem the samples that passed the original tests
 *  but not the added ones (evalplus's plus inputs), the gap between the two pass@k columns of eval.json. */
export const EVAL_REPORT: ReportSpec = {
  verdictPrefix: 'verdict_',
  sandbox: SANDBOX,
  charts: [
    VERDICTS,
    {
      id: 'caught-by-plus',
      title: 'Samples right on the original tests but wrong on the added ones, per problem',
      kind: 'histogram',
      stage: 'score',
      hist: 'caught_by_plus',
      label: 'samples',
      x: 'problem',
    },
  ],
};
