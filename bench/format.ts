// Format throughput: our in-process Ruff formatter against Black (`black --fast`, one worker), same files, one run.
// Usage: npx tsx bench/format.ts [--files N]
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatPython } from '../lib/code/format.ts';
import { argNumber, report, seconds, stdlibFiles } from './common.ts';

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
  execFileSync('black', ['--fast', '-q', '--workers', '1', '-l', '88', dir], { stdio: 'pipe' });
} catch (e) {
  // black exits 123 when some file fails to parse (those are left as they were); anything else means no
  // baseline was measured, and a rate of files black never read would be a lie
  const err = e as NodeJS.ErrnoException & { status?: number };
  if (err.code === 'ENOENT') throw new Error('black is not installed: apt-get install black');
  if (err.status !== 123) throw e;
}
const blackSecs = seconds(t0);

let same = 0;
let compared = 0;
let linesSame = 0;
let lines = 0;
copies.forEach((p, i) => {
  const b = readFileSync(p, 'utf8');
  const o = ours[i];
  if (o === undefined) return;
  compared++;
  if (o === b) same++;
  const bl = b.split('\n');
  const ol = new Set(o.split('\n'));
  lines += bl.length;
  linesSame += bl.filter((l) => ol.has(l)).length;
});

console.log(`${files.length} files; ours ${oursSecs.toFixed(2)}s, black ${blackSecs.toFixed(2)}s`);
console.log(
  `byte-identical to Black: ${same}/${compared} files; Black's lines also in ours: ${((100 * linesSame) / lines).toFixed(2)}%`,
);
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
