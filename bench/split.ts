// Split throughput: our tree-sitter splitter against the CPython ast reference script, same files, one run.
// Usage: npx tsx bench/split.ts [--files N]
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { findBlocks, stripComments } from '../lib/code/blocks.ts';
import { argNumber, PYTHON, report, seconds, stdlibFiles } from './common.ts';

const REFERENCE = new URL('../test/reference/split_reference.py', import.meta.url).pathname;
const files = stdlibFiles(argNumber('files', 400));
const items = files.map((f) => ({ id: f, code: readFileSync(f, 'utf8') }));
const input = items.map((r) => JSON.stringify(r)).join('\n') + '\n';

let t0 = process.hrtime.bigint();
let blocks = 0;
for (const it of items) blocks += findBlocks(stripComments(it.code), { skipUnderscoreDefs: true }).length;
const oursSecs = seconds(t0);

t0 = process.hrtime.bigint();
const out = execFileSync(PYTHON, [REFERENCE, '--skip-underscore-defs'], {
  input,
  maxBuffer: 1 << 30,
}).toString();
const pySecs = seconds(t0);
const pyBlocks = out
  .trim()
  .split('\n')
  .reduce((n, l) => n + ((JSON.parse(l) as { blocks?: unknown[] }).blocks?.length ?? 0), 0);

console.log(
  `${files.length} files, ${blocks} blocks (CPython: ${pyBlocks}); ours ${oursSecs.toFixed(2)}s, CPython ${pySecs.toFixed(2)}s`,
);
report({
  bench: 'split',
  unit: 'files',
  files: files.length,
  blocks,
  ours_per_s: files.length / oursSecs,
  baseline: 'CPython tokenize+ast script',
  baseline_per_s: files.length / pySecs,
});
