// Pairing and diffing throughput against the peers a user would pick, in the same run on the same texts:
// pairing (Levenshtein) against fastest-levenshtein (the usual JavaScript pick) and Python's rapidfuzz (the
// reference's Levenshtein package is built on it; from the project's .venv), with a quadratic DP as the
// correctness check; line diffs against the `diff` npm package and Python's difflib (the reference's choice).
// Usage: npx tsx bench/pairs.ts [--targets N] [--rounds N]
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
const ROUNDS = argNumber('rounds', 5);
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
function diffAll(diff: (a: string[], b: string[]) => number): number {
  let sum = 0;
  for (const t of targets) for (const c of t.cands) sum += diff(t.golden.split('\n'), c.split('\n'));
  return sum;
}

/** A contender's result and its fastest of ROUNDS timings (the first round warms it up; this VM's neighbours move single timings). */
function fastest<T>(f: () => T): { result: T; secs: number } {
  let secs = Infinity;
  let result = f();
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = process.hrtime.bigint();
    result = f();
    secs = Math.min(secs, seconds(t0));
  }
  return { result, secs };
}

const ours = fastest(() => pairAll(levenshtein));
const fast = fastest(() => pairAll(fastestLevenshtein)); // the texts are ASCII: UTF-16 units are code points here
const dp = { result: pairAll(levenshteinDP) }; // the correctness check only: it takes seconds
if (ours.result !== dp.result) throw new Error('Levenshtein disagrees with the DP');
if (fast.result !== ours.result) throw new Error('fastest-levenshtein disagrees');
const pairList = targets.flatMap((t) =>
  t.cands.slice(2).flatMap((w) => t.cands.slice(0, 2).map((r) => [w, r])),
);
const rapid = pythonSeconds(
  `import json, sys, time\nfrom rapidfuzz.distance import Levenshtein\npairs = json.load(sys.stdin)\nbest = 1e9\nfor _ in range(${ROUNDS + 1}):\n    t = time.perf_counter()\n    s = sum(Levenshtein.distance(a, b) for a, b in pairs)\n    best = min(best, time.perf_counter() - t)\nprint(best)\nassert s == ${ours.result}`,
  pairList,
);

// diffing: golden program vs each candidate, by lines (the size of D− is the checked result)
const diffOurs = fastest(() => diffAll((a, b) => lineDiff(a, b).minus.length));
const diffDP = { result: diffAll((a, b) => b.length - lcsLengthDP(a, b)) };
const diffJs = fastest(() =>
  diffAll((a, b) => diffArrays(a, b).reduce((n, part) => n + (part.added ? part.count : 0), 0)),
);
if (diffOurs.result !== diffDP.result) throw new Error('LCS disagrees with the DP');
if (diffJs.result !== diffOurs.result) throw new Error('diff (npm) finds another LCS length');
const difflib = pythonSeconds(
  `import difflib, json, sys, time\ntargets = json.load(sys.stdin)\nbest = 1e9\nfor _ in range(${ROUNDS + 1}):\n    t = time.perf_counter()\n    for g, cs in targets:\n        for c in cs:\n            difflib.SequenceMatcher(None, g.split("\\n"), c.split("\\n"), autojunk=False).get_opcodes()\n    best = min(best, time.perf_counter() - t)\nprint(best)`,
  targets.map((t) => [t.golden, t.cands]),
);

const pairs = TARGETS * 3;
const diffs = TARGETS * 5;
const x = (peer: number, o: number) => `${(peer / o).toFixed(2)}×`;
console.log(
  `pairing ${pairs} wrong candidates (×2 rights), fastest of ${ROUNDS}: ours ${ours.secs.toFixed(4)}s, fastest-levenshtein ${fast.secs.toFixed(4)}s (${x(fast.secs, ours.secs)}), rapidfuzz ${rapid.toFixed(4)}s (${x(rapid, ours.secs)})`,
);
console.log(
  `diffing ${diffs} program pairs, fastest of ${ROUNDS}: ours ${diffOurs.secs.toFixed(4)}s, diff (npm) ${diffJs.secs.toFixed(4)}s (${x(diffJs.secs, diffOurs.secs)}), difflib ${difflib.toFixed(4)}s (${x(difflib, diffOurs.secs)})`,
);
// one result line per peer: npm run bench makes a row of each
const row = (bench: string, unit: string, n: number, oursSecs: number, baseline: string, peerSecs: number) =>
  report({ bench, unit, ours_per_s: n / oursSecs, baseline, baseline_per_s: n / peerSecs });
row('pairs (Levenshtein)', 'pairs', pairs, ours.secs, 'rapidfuzz (Python)', rapid);
row('pairs (Levenshtein)', 'pairs', pairs, ours.secs, 'fastest-levenshtein', fast.secs);
row('diff (LCS lines)', 'diffs', diffs, diffOurs.secs, 'difflib (Python)', difflib);
row('diff (LCS lines)', 'diffs', diffs, diffOurs.secs, 'diff (npm)', diffJs.secs);
