// Share of a dataset's solutions on which our split equals the CPython ast reference (same comment-free
// code, same targets, line ranges and depths), after our formatter. Works on any input `run` reads.
// Usage: npx tsx bench/agreement.ts --input PATH [--input-format F]
import { execFileSync } from 'node:child_process';
import { splitBlocks } from '../lib/code/blocks.ts';
import { RunContext } from '../lib/context.ts';
import { readProblems } from '../readers/index.ts';
import { formatPython } from '../lib/code/format.ts';
import { PYTHON } from './common.ts';

const arg = (name: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const input = arg('input');
if (!input) throw new Error('usage: npx tsx bench/agreement.ts --input PATH [--input-format F]');
const format = arg('input-format') as string | undefined;
const REFERENCE = new URL('../test/reference/split_reference.py', import.meta.url).pathname;

const items: { id: string; code: string }[] = [];
let unparsable = 0;
for await (const p of readProblems(new RunContext(), input, format ? { format } : {})) {
  p.solutions.forEach((s, i) => {
    try {
      items.push({ id: `${p.problem_id}/${i}`, code: formatPython(s) });
    } catch {
      unparsable++;
    }
  });
}
const input_ = items.map((r) => JSON.stringify(r)).join('\n') + '\n';
const ref = execFileSync(PYTHON, [REFERENCE, '--skip-underscore-defs'], { input: input_, maxBuffer: 1 << 30 })
  .toString()
  .trim()
  .split('\n')
  .map((l) => JSON.parse(l) as { code?: string; blocks?: unknown; error?: string });

let agree = 0;
let compared = 0;
const disagree: string[] = [];
items.forEach((it, i) => {
  const r = ref[i]!;
  if (r.error) return;
  compared++;
  try {
    const { code, blocks } = splitBlocks(it.code, { skipUnderscoreDefs: true });
    const ours = blocks.map((b) => [b.type, b.start_line, b.end_line, b.depth]);
    if (
      code === (r.code?.endsWith('\n') ? r.code : `${r.code}\n`) &&
      JSON.stringify(ours) === JSON.stringify(r.blocks)
    )
      agree++;
    else disagree.push(it.id);
  } catch (err) {
    disagree.push(`${it.id} (${(err as Error).message})`);
  }
});
console.log(
  `${items.length} formatted solutions (${unparsable} unparsable by the formatter), ${compared} parsed by CPython`,
);
console.log(`agree: ${agree}/${compared} = ${((100 * agree) / compared).toFixed(2)}%`);
if (disagree.length) console.log(`disagree: ${disagree.slice(0, 20).join(', ')}`);
console.log(
  JSON.stringify({ bench: 'split-agreement', input, solutions: compared, agree, share: agree / compared }),
);
