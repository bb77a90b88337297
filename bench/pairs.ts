// Pairing and diffing throughput against the peers a user would pick, in the same run on the same texts:
// pairing (Levenshtein) against fastest-levenshtein (the usual JavaScript pick) and Python's rapidfuzz (the
// reference's Levenshtein package is built on it; from the project's .venv), with a quadratic DP as the
// correctness check; line diffs against the `diff` npm package and Python's difflib (the reference's choice).
// Usage: npx tsx bench/pairs.ts [--targets N]
import { lcsLengthDP, lineDiff } from '../lib/code/lcs.ts';
import { levenshtein, levenshteinDP } from '../lib/code/levenshtein.ts';
import { prng } from '../lib/random.ts';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { diffArrays } from 'diff';
import { distance as fastestLevenshtein } from 'fastest-levenshtein';
import { ROOT } from '../lib/root.ts';
import { argNumber, report, seconds } from './common.ts';

const VENV_PYTHON = join(ROOT, '.venv', 'bin', 'python');

/** Seconds a Python peer takes for the same work, timed inside Python (no process start, no JSON). */
function pythonSeconds(script: string, input: unknown): number {
  return Number(
    execFileSync(VENV_PYTHON, ['-c', script], { input: JSON.stringify(input) })
      .toString()
      .trim(),
  );
}

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
// each JavaScript contender runs once untimed first, so that every timing is of optimised code
pairAll(levenshtein);
pairAll(fastestLevenshtein);
let t0 = process.hrtime.bigint();
const oursSum = pairAll(levenshtein);
const pairOurs = seconds(t0);
t0 = process.hrtime.bigint();
const dpSum = pairAll(levenshteinDP);
const pairDP = seconds(t0);
if (oursSum !== dpSum) throw new Error('Levenshtein disagrees with the DP');
t0 = process.hrtime.bigint();
const fastSum = pairAll(fastestLevenshtein); // the texts are ASCII: UTF-16 units are code points here
const pairFast = seconds(t0);
if (fastSum !== oursSum) throw new Error('fastest-levenshtein disagrees');
const pairList = targets.flatMap((t) =>
  t.cands.slice(2).flatMap((w) => t.cands.slice(0, 2).map((r) => [w, r])),
);
const pairRapid = pythonSeconds(
  'import json, sys, time\nfrom rapidfuzz.distance import Levenshtein\npairs = json.load(sys.stdin)\nt = time.perf_counter()\ns = sum(Levenshtein.distance(a, b) for a, b in pairs)\nprint(time.perf_counter() - t)\nassert s == ' +
    String(oursSum),
  pairList,
);

// diffing: golden program vs each candidate, by lines
for (const t of targets)
  for (const c of t.cands) {
    lineDiff(t.golden.split('\n'), c.split('\n'));
    diffArrays(t.golden.split('\n'), c.split('\n'));
  }
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
t0 = process.hrtime.bigint();
for (const t of targets) for (const c of t.cands) diffArrays(t.golden.split('\n'), c.split('\n'));
const diffJs = seconds(t0);
const diffPy = pythonSeconds(
  'import difflib, json, sys, time\ntargets = json.load(sys.stdin)\nt = time.perf_counter()\nfor g, cs in targets:\n    for c in cs:\n        difflib.SequenceMatcher(None, g.split("\\n"), c.split("\\n"), autojunk=False).get_opcodes()\nprint(time.perf_counter() - t)',
  targets.map((t) => [t.golden, t.cands]),
);

const pairs = TARGETS * 3;
const diffs = TARGETS * 5;
const x = (peer: number, ours: number) => `${(peer / ours).toFixed(2)}×`;
console.log(
  `pairing ${pairs} wrong candidates (×2 rights): ours ${pairOurs.toFixed(3)}s, fastest-levenshtein ${pairFast.toFixed(3)}s (${x(pairFast, pairOurs)}), rapidfuzz ${pairRapid.toFixed(3)}s (${x(pairRapid, pairOurs)}), DP ${pairDP.toFixed(3)}s`,
);
console.log(
  `diffing ${diffs} program pairs: ours ${diffOurs.toFixed(3)}s, diff (npm) ${diffJs.toFixed(3)}s (${x(diffJs, diffOurs)}), difflib ${diffPy.toFixed(3)}s (${x(diffPy, diffOurs)}), DP ${diffDP.toFixed(3)}s`,
);
console.log(
  JSON.stringify({
    bench: 'diff',
    unit: 'pairs',
    ours_per_s: diffs / diffOurs,
    baseline: 'diff (npm)',
    baseline_per_s: diffs / diffJs,
    ratio: Number((diffJs / diffOurs).toFixed(3)),
    difflib_ratio: Number((diffPy / diffOurs).toFixed(3)),
  }),
);
report({
  bench: 'pairs',
  unit: 'pairs',
  pairs,
  ours_per_s: pairs / pairOurs,
  baseline: 'fastest-levenshtein',
  baseline_per_s: pairs / pairFast,
  rapidfuzz_ratio: Number((pairRapid / pairOurs).toFixed(3)),
  dp_ratio: Number((pairDP / pairOurs).toFixed(3)),
  diff_ratio: Number((diffJs / diffOurs).toFixed(3)),
});
