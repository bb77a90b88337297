import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cutLines, splitBlocks } from '../../lib/code/blocks.ts';
import { RunContext } from '../../lib/context.ts';
import { readProblems } from '../../readers/index.ts';
import { formatPython } from '../../lib/code/format.ts';
import { collect, FIXTURES, PYTHON, stdlibFiles } from '../helpers.ts';

const REFERENCE = new URL('../reference/split_reference.py', import.meta.url).pathname;

interface Ref {
  id: string;
  code?: string;
  blocks?: [string, number, number, number][];
  error?: string;
}

function reference(items: { id: string; code: string }[], skipUnderscoreDefs: boolean): Map<string, Ref> {
  const input = items.map((r) => JSON.stringify(r)).join('\n') + '\n';
  const args = [REFERENCE, ...(skipUnderscoreDefs ? ['--skip-underscore-defs'] : [])];
  const out = execFileSync(PYTHON, args, { input, maxBuffer: 1 << 30 }).toString();
  return new Map(
    out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Ref)
      .map((r) => [r.id, r]),
  );
}

/** Compares our split with CPython's; returns the ids that disagree, and how many were compared. */
function compare(items: { id: string; code: string }[], skipUnderscoreDefs: boolean) {
  const ref = reference(items, skipUnderscoreDefs);
  const disagree: string[] = [];
  let compared = 0;
  for (const it of items) {
    const r = ref.get(it.id)!;
    if (r.error) continue; // not Python 3.11: nothing to compare against
    compared++;
    try {
      // the stage's one-parse path, against the reference's comment-free code (newline-terminated, as the stage keeps it)
      const { code, blocks } = splitBlocks(it.code, { skipUnderscoreDefs });
      const ours = blocks.map((b) => [b.type, b.start_line, b.end_line, b.depth]);
      const refCode = r.code!.endsWith('\n') ? r.code : r.code + '\n';
      if (code !== refCode || JSON.stringify(ours) !== JSON.stringify(r.blocks)) disagree.push(it.id);
      for (const b of blocks) {
        const c = cutLines(code, b.start_line, b.end_line);
        if (c.prefix + c.middle + c.suffix !== code)
          disagree.push(`${it.id}: cut ${b.start_line}-${b.end_line}`);
      }
    } catch (err) {
      disagree.push(`${it.id}: ${(err as Error).message}`);
    }
  }
  return { disagree, compared };
}

describe('split agrees with a CPython ast reference', function () {
  this.timeout(180_000);

  it('on every formatted fixture solution, in both underscore-def modes', async () => {
    const problems = await collect(readProblems(new RunContext(), join(FIXTURES, 'apps.jsonl')));
    const items = problems.flatMap((p) =>
      p.solutions.flatMap((s, i) => {
        try {
          return [{ id: `${p.problem_id}/${i}`, code: formatPython(s) }];
        } catch {
          return []; // Python 2 and broken solutions: the format stage rejects them
        }
      }),
    );
    expect(items.length).to.be.greaterThan(70);
    for (const skip of [true, false]) {
      const { disagree, compared } = compare(items, skip);
      expect(compared).to.equal(items.length);
      expect(disagree).to.deep.equal([]);
    }
  });

  it('on at least 500 files of the Python standard library', () => {
    const files = stdlibFiles().slice(0, 700);
    const items = files.map((f) => ({ id: f, code: readFileSync(f, 'utf8') }));
    const { disagree, compared } = compare(items, true);
    expect(compared).to.be.at.least(500);
    expect(disagree).to.deep.equal([]);
  });
});
