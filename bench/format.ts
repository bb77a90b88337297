// Format throughput: our in-process Ruff formatter against Black (`black --fast`, one worker, from the project's
// .venv: python/requirements.txt installs it), same files, one run; then how many files come out byte-identical
// to Black's and which line changes make the difference, most frequent first.
// Usage: npx tsx bench/format.ts [--files N]
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatPython } from '../lib/code/format.ts';
import { lcsPairs } from '../lib/code/lcs.ts';
import { ROOT } from '../lib/root.ts';
import { argNumber, report, seconds, stdlibFiles } from './common.ts';

const BLACK = join(ROOT, '.venv', 'bin', 'black');
const files = stdlibFiles(argNumber('files', 300));
const sources = files.map((f) => readFileSync(f, 'utf8'));

// ours
let t0 = process.hrtime.bigint();
const ours = sources.map((s) => {
  try {
    return formatPython(s);
  } catch {
    return undefined;
  }
});
const oursSecs = seconds(t0);

// Black on copies of the same files, one process, one worker (per-core throughput)
const dir = mkdtempSync(join(tmpdir(), 'sf-black-'));
const copies = files.map((f, i) => {
  const p = join(dir, `f${String(i).padStart(5, '0')}.py`);
  copyFileSync(f, p);
  return p;
});
t0 = process.hrtime.bigint();
try {
  execFileSync(BLACK, ['--fast', '-q', '--workers', '1', '-l', '88', dir], { stdio: 'pipe' });
} catch (e) {
  // black exits 123 when some file fails to parse (those are left as they were); anything else means no
  // baseline was measured, and a rate of files black never read would be a lie
  const err = e as NodeJS.ErrnoException & { status?: number };
  if (err.code === 'ENOENT')
    throw new Error(`${BLACK} is missing: npm ci (python/setup-venv.sh) installs black into the .venv`);
  if (err.status !== 123) throw e;
}
const blackSecs = seconds(t0);

let same = 0;
let compared = 0;
let linesSame = 0;
let lines = 0;
// what differs: each gap between two matched lines (of an LCS of Black's lines and ours) is one change,
// named by the first line of each side in it (indentation and repeated spaces squeezed)
const changes = new Map<string, number>();
const squeeze = (ls: string[]) => {
  const l = ls.find((x) => x.trim()) ?? (ls.length ? '(blank line)' : '(nothing)');
  return l.trim().replace(/\s+/g, ' ').slice(0, 60);
};
copies.forEach((p, i) => {
  const b = readFileSync(p, 'utf8');
  const o = ours[i];
  if (o === undefined) return;
  compared++;
  if (o === b) same++;
  const bl = b.split('\n');
  const ol = o.split('\n');
  const matched = [...lcsPairs(bl, ol), [bl.length, ol.length] as [number, number]];
  lines += bl.length;
  linesSame += matched.length - 1;
  let [pi, pj] = [0, 0];
  for (const [mi, mj] of matched) {
    if (mi > pi || mj > pj) {
      const key = `${squeeze(bl.slice(pi, mi))}  →  ${squeeze(ol.slice(pj, mj))}`;
      changes.set(key, (changes.get(key) ?? 0) + 1);
    }
    [pi, pj] = [mi + 1, mj + 1];
  }
});

console.log(`${files.length} files; ours ${oursSecs.toFixed(2)}s, black ${blackSecs.toFixed(2)}s`);
console.log(
  `byte-identical to Black: ${same}/${compared} files; Black's lines kept by ours (outside an LCS of the two): ${((100 * linesSame) / lines).toFixed(2)}%`,
);
console.log(`${[...changes.values()].reduce((x, y) => x + y, 0)} changes; the most frequent (Black → ours):`);
for (const [k, n] of [...changes].sort((a, b) => b[1] - a[1]).slice(0, 12)) console.log(`  ${n}× ${k}`);
report({
  bench: 'format',
  unit: 'files',
  files: files.length,
  ours_per_s: files.length / oursSecs,
  baseline: 'black --fast (1 worker)',
  baseline_per_s: files.length / blackSecs,
  identical_files_share: Number((same / compared).toFixed(4)),
  identical_lines_share: Number((linesSame / lines).toFixed(4)),
});
