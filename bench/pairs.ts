// Pairing and diffing throughput against straightforward baselines in the same run: quadratic-DP
// Levenshtein for pairing, quadratic-DP LCS for line diffs, on the same candidate texts.
// Usage: npx tsx bench/pairs.ts [--targets N]
import { lcsLengthDP, lineDiff } from '../lib/code/lcs.ts';
import { levenshtein, levenshteinDP } from '../lib/code/levenshtein.ts';
import { prng } from '../lib/random.ts';
import { argNumber, report, seconds } from './common.ts';

const TARGETS = argNumber('targets', 200);
const rand = prng(42);
const pick = <T>(xs: T[]) => xs[Math.floor(rand() * xs.length)]!;
const LINES = [
  'for i in range(n):',
  '    if a[i] > best:',
  '        best = a[i]',
  '    total += a[i]',
  'print(best)',
  'x = int(input())',
  '        continue',
  '    while j < n:',
];
// a target: a golden program of 20–60 lines and 5 candidates that differ from it in a few lines
const targets = Array.from({ length: TARGETS }, () => {
  const golden = Array.from({ length: 20 + Math.floor(rand() * 40) }, () => pick(LINES));
  const cands = Array.from({ length: 5 }, () => {
    const c = [...golden];
    for (let k = 0; k < 1 + Math.floor(rand() * 3); k++)
      c[Math.floor(rand() * c.length)] = pick(LINES).replace('>', '<');
    return c.join('\n');
  });
  return { golden: golden.join('\n'), cands };
});

// pairing: every wrong (the last three) against every right (the first two), as the pair stage does
function pairAll(dist: (a: string, b: string) => number): number {
  let sum = 0;
  for (const t of targets)
    for (const w of t.cands.slice(2)) for (const r of t.cands.slice(0, 2)) sum += dist(w, r);
  return sum;
}
let t0 = process.hrtime.bigint();
const oursSum = pairAll(levenshtein);
const pairOurs = seconds(t0);
t0 = process.hrtime.bigint();
const dpSum = pairAll(levenshteinDP);
const pairDP = seconds(t0);
if (oursSum !== dpSum) throw new Error('Levenshtein disagrees with the DP');

// diffing: golden program vs each candidate, by lines
t0 = process.hrtime.bigint();
let minus = 0;
for (const t of targets)
  for (const c of t.cands) minus += lineDiff(t.golden.split('\n'), c.split('\n')).minus.length;
const diffOurs = seconds(t0);
t0 = process.hrtime.bigint();
let minusDP = 0;
for (const t of targets)
  for (const c of t.cands) minusDP += c.split('\n').length - lcsLengthDP(t.golden.split('\n'), c.split('\n'));
const diffDP = seconds(t0);
if (minus !== minusDP) throw new Error('LCS disagrees with the DP');

const pairs = TARGETS * 3;
const diffs = TARGETS * 5;
console.log(
  `pairing ${pairs} wrong candidates (×2 rights): ours ${pairOurs.toFixed(3)}s, DP ${pairDP.toFixed(3)}s`,
);
console.log(
  `diffing ${diffs} program pairs: ours ${diffOurs.toFixed(3)}s, DP ${diffDP.toFixed(3)}s (ratio ${(diffDP / diffOurs).toFixed(1)}×)`,
);
console.log(
  JSON.stringify({
    bench: 'diff',
    unit: 'pairs',
    ours_per_s: diffs / diffOurs,
    baseline: 'quadratic DP LCS',
    baseline_per_s: diffs / diffDP,
    ratio: Number((diffDP / diffOurs).toFixed(3)),
  }),
);
report({
  bench: 'pairs',
  unit: 'pairs',
  pairs,
  ours_per_s: pairs / pairOurs,
  baseline: 'quadratic DP Levenshtein',
  baseline_per_s: pairs / pairDP,
  diff_ratio: Number((diffDP / diffOurs).toFixed(3)),
});
