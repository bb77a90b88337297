// Split throughput: our tree-sitter splitter (the stage's one-parse `splitBlocks`) against the CPython
// tokenize + ast reference script, on the same texts in one run, each side in one process. Two corpora:
// whole standard-library files (about 390 lines each) and program-sized pieces of them (top-level
// statements grouped up to 60 lines, the size of a competition solution), where per-call costs show.
// Usage: npx tsx bench/split.ts [--files N] [--rounds N]
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { setImmediate } from 'node:timers/promises';
import { splitBlocks } from '../lib/code/blocks.ts';
import { argNumber, PYTHON, report, seconds, stdlibFiles } from './common.ts';

const REFERENCE = new URL('../test/reference/split_reference.py', import.meta.url).pathname;
const files = stdlibFiles(argNumber('files', 400)).map((f) => ({ id: f, code: readFileSync(f, 'utf8') }));

/** Top-level statements of a file grouped into pieces of at most `max` lines (a decorator stays with its def). */
function pieces(file: { id: string; code: string }, max = 60): { id: string; code: string }[] {
  const lines = file.code.split('\n');
  const out: { id: string; code: string }[] = [];
  let start = 0;
  const cut = (end: number) => {
    const code = lines.slice(start, end).join('\n').trim();
    if (code) out.push({ id: `${file.id}:${start + 1}`, code: code + '\n' });
    start = end;
  };
  for (let i = 1; i < lines.length; i++) {
    const top = /^(def |class |async def |@)/.test(lines[i]!) && !/^@/.test(lines[i - 1] ?? '');
    if (top && i - start >= 20) cut(i);
    else if (top && i - start >= max) cut(i);
  }
  cut(lines.length);
  return out.filter((p) => p.code.split('\n').length <= max * 2);
}

/** The fastest of ROUNDS timings, the two sides taking turns: this VM's neighbours move single timings by 2×. */
const ROUNDS = argNumber('rounds', 5);

/**
 * Runs fn on every item, turning the event loop every TURN items, as a pipeline does between the 64 KiB
 * chunks its readers read (tens of solutions each): node's tree-sitter binding frees a tree only in a later
 * turn, after V8 has collected its wrapper, so a loop that never turns parses into fresh pages (35,000 page
 * faults for the 400 files, at 12 µs each on this VM, half the parse's time). A turn costs microseconds.
 */
async function timed(items: { code: string }[], fn: (code: string) => void): Promise<number> {
  await setImmediate();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < items.length; i++) {
    fn(items[i]!.code);
    if (i % TURN === TURN - 1) await setImmediate();
  }
  return seconds(t0);
}
const TURN = argNumber('turn', 10);

async function measure(corpus: string, items: { id: string; code: string }[]) {
  let blocks = 0;
  let failed = 0;
  let out = '';
  let oursSecs = Infinity;
  let pySecs = Infinity;
  const input = items.map((r) => JSON.stringify(r)).join('\n') + '\n';
  for (let round = 0; round < ROUNDS; round++) {
    [blocks, failed] = [0, 0];
    const split = (code: string) => {
      try {
        blocks += splitBlocks(code, { skipUnderscoreDefs: true }).blocks.length;
      } catch {
        failed++;
      }
    };
    const t0 = process.hrtime.bigint();
    out = execFileSync(PYTHON, [REFERENCE, '--skip-underscore-defs'], {
      input,
      maxBuffer: 1 << 30,
    }).toString();
    pySecs = Math.min(pySecs, seconds(t0));
    // once untimed: the first loop after the CPython run takes its memory from the system afresh (30,000
    // page faults for the 400 files, at 12 µs each here), as a stage that has been running does not
    await timed(items, split);
    [blocks, failed] = [0, 0];
    oursSecs = Math.min(oursSecs, await timed(items, split));
  }
  const ref = out
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { blocks?: unknown[]; error?: string });
  const pyBlocks = ref.reduce((n, r) => n + (r.blocks?.length ?? 0), 0);
  const pyFailed = ref.filter((r) => r.error).length;
  const lines = items.reduce((n, it) => n + it.code.split('\n').length - 1, 0);
  console.log(
    `${corpus}: ${items.length} texts (fastest of ${ROUNDS} rounds), ${(lines / items.length).toFixed(0)} lines each on average; ` +
      `${blocks} blocks, ${failed} unparsable (CPython: ${pyBlocks}, ${pyFailed}); ours ${oursSecs.toFixed(2)}s, CPython ${pySecs.toFixed(2)}s`,
  );
  if (blocks !== pyBlocks) throw new Error(`${corpus}: the block counts disagree`);
  report({
    bench: `split (${corpus})`,
    unit: 'texts',
    texts: items.length,
    blocks,
    ours_per_s: items.length / oursSecs,
    baseline: 'CPython tokenize+ast script',
    baseline_per_s: items.length / pySecs,
  });
}

splitBlocks('x = 1\n'); // load the parser before the clock starts, as the stage has
await measure(
  'program-sized pieces',
  files.flatMap((f) => pieces(f)),
);
await measure('whole files', files);
