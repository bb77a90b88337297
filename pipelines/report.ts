import type { Chart, ReportSpec } from '../lib/report.ts';

// What the pipelines' reports show beyond the stage table (lib/report.ts draws whatever is declared here).

const pairCharts = (pairs: string): ReportSpec => ({
  verdictPrefix: 'verdict_',
  pairs: { stage: pairs, chosen: 'chosen_', rejected: 'rejected_', multiRegion: 'multi_region' },
  charts: [],
});

const VERDICTS: Chart = { id: 'verdicts', title: 'Verdicts per stage', kind: 'verdicts' };
const PAIRS_PER_KEY: Chart = {
  id: 'pairs-per-key',
  title: 'Pairs per curriculum bucket (lines of the golden middle)',
  kind: 'histogram',
  stage: 'curriculum',
  hist: 'pairs_per_key',
  label: 'pairs',
};
const ORIGINS: Chart = {
  id: 'pair-origins',
  title: 'Pair sides by origin (what made the chosen and the rejected text)',
  kind: 'origins',
};

export const STRUCTURECODER_REPORT: ReportSpec = {
  ...pairCharts('pair'),
  charts: [
    {
      id: 'block-lines',
      title: 'Block targets by length (lines)',
      kind: 'histogram',
      stage: 'split',
      hist: 'block_lines',
      label: 'block targets',
    },
    {
      id: 'block-depth',
      title: 'Block targets by nesting depth',
      kind: 'histogram',
      stage: 'split',
      hist: 'block_depth',
      label: 'block targets',
    },
    VERDICTS,
    PAIRS_PER_KEY,
    ORIGINS,
  ],
};

/** A Target-DPO report has no block targets; it shows what its pairs are made of instead. */
export const TARGETDPO_REPORT: ReportSpec = {
  ...pairCharts('focal'),
  charts: [
    {
      id: 'dminus-lines',
      title: 'Pairs by D− size (lines of the rejected program outside the LCS)',
      kind: 'histogram',
      stage: 'focal',
      hist: 'dminus_lines',
      label: 'pairs',
    },
    {
      id: 'mask-coverage',
      title: 'Mask coverage (masked tokens / rejected tokens, %)',
      kind: 'histogram',
      stage: 'focal',
      hist: 'mask_coverage_pct',
      label: 'pairs',
    },
    {
      id: 'rejected-tokens',
      title: 'Rejected programs by length (tokens, 64-token bins)',
      kind: 'histogram',
      stage: 'focal',
      hist: 'rejected_tokens',
      label: 'pairs',
    },
    VERDICTS,
    PAIRS_PER_KEY,
    ORIGINS,
  ],
};
