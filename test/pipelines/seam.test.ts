import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import type { PairRow } from '../../lib/train/examples.ts';
import { trainingContext } from '../../lib/train/examples.ts';
import { FIXTURES, fixturePairShards, readShardRows, tmp } from '../helpers.ts';

const CLI = new URL('../../bin/structflow.js', import.meta.url).pathname;
const run = (...args: string[]) => {
  const out = tmp();
  execFileSync('node', [CLI, 'run', ...args, '--out', out, '--quiet'], { stdio: 'pipe' });
  return out;
};
const OPTS = { family: 'qwen', instructionAlways: false };

/** Every row: the trainer's context of each format is the row's prompt column, and TRL's `prompt` is the
 *  context of its format; so `prompt + chosen` is the chosen training text, spelled once. */
function checkSeams(rows: Record<string, unknown>[]): void {
  expect(rows.length).to.be.greaterThan(0);
  for (const r of rows) {
    type Columns = 'prompt' | 'chosen' | 'rejected' | 'chat_prompt' | 'fim_prompt' | 'target_id';
    const row = r as unknown as PairRow & Record<Columns, string>;
    const id = `${row.target_id}`;
    expect(trainingContext(row, 'chat', OPTS), id).to.equal(row.chat_prompt);
    if (row.kind === 'fim') expect(trainingContext(row, 'fim', OPTS), id).to.equal(row.fim_prompt);
    expect(row.prompt, id).to.equal(row.kind === 'full' ? row.chat_prompt : row.fim_prompt);
    expect([row.chosen, row.rejected]).to.deep.equal([row.chosen_middle, row.rejected_middle]);
    if (row.kind === 'full') {
      // the context ends at the code fence: the program, header and docstring included, is the response,
      // so no line of it is in the context, formatted one way there and another way in the response
      expect(row.prompt.endsWith('```python\n'), id).to.equal(true);
      const firstLine = row.chosen.split('\n')[0]!;
      expect(row.prompt.slice(row.prompt.lastIndexOf('```python\n')), id).to.not.include(firstLine);
    }
  }
}

describe('prompt and completion spell the training text once', function () {
  this.timeout(300_000);

  it('on every row of the StructureCoder fixture run', async () => {
    checkSeams(await readShardRows(fixturePairShards()));
  });

  it('on every row of a HumanEval-shaped run, whose starter code Black reformats in the program', async () => {
    const rows = await readShardRows(run('structurecoder', '--input', join(FIXTURES, 'humaneval.jsonl')));
    expect(rows.some((r) => r.kind === 'full')).to.equal(true);
    checkSeams(rows);
  });

  it('on every row of the Target-DPO runs, APPS and HumanEval-shaped', async () => {
    for (const input of ['apps.jsonl', 'humaneval.jsonl']) {
      const rows = await readShardRows(run('targetdpo', '--input', join(FIXTURES, input)));
      checkSeams(rows);
      for (const r of rows) expect(r.chosen).to.equal(r.chosen_code);
    }
  });
});

/** A block of three lines (comment marks and indentation aside) that a prompt states twice, if any. */
function repeatedBlock(prompt: string): string | undefined {
  const lines = prompt
    .split('\n')
    .map((l) => l.replace(/^#\s?/, '').trim())
    .filter((l) => l && !l.startsWith('```'));
  const seen = new Set<string>();
  for (let i = 0; i + 3 <= lines.length; i++) {
    const block = lines.slice(i, i + 3).join('\n');
    if (seen.has(block)) return block;
    seen.add(block);
  }
  return undefined;
}

describe('every prompt of every fixture layout', function () {
  this.timeout(300_000);
  // every layout with reference solutions (LiveCodeBench rows are evaluation problems: they have none)
  const layouts = [
    'apps.jsonl',
    'humaneval.jsonl',
    'leetcode.jsonl',
    'mbpp.jsonl',
    'taco.jsonl',
    'codecontests.parquet',
  ];

  it('tells the model the names its tests call, and states no block of text twice', async () => {
    let withStarter = 0;
    for (const input of layouts) {
      const rows = await readShardRows(
        run('structurecoder', '--input', join(FIXTURES, input), '--until', 'fim'),
      );
      expect(rows.length, input).to.be.greaterThan(0);
      for (const r of rows as Record<string, string>[]) {
        const id = `${input} ${r.target_id}`;
        const names = [...r.starter_code!.matchAll(/^\s*(?:def|class)\s+(\w+)/gm)].map((m) => m[1]!);
        if (names.length) withStarter++;
        // MBPP has no starter code: its tests call the functions the reference defines at top level
        if (input === 'mbpp.jsonl' && r.kind === 'full')
          for (const [, n] of r.middle!.matchAll(/^def\s+(\w+)/gm))
            expect(r.chat_prompt, `${id}: ${n}`).to.match(new RegExp(`\\b${n}\\(`));
        for (const prompt of [r.chat_prompt!, ...(r.kind === 'full' ? [] : [r.fim_prompt!])]) {
          for (const n of names) expect(prompt, `${id}: ${n}`).to.match(new RegExp(`(def|class)\\s+${n}\\b`));
          expect(repeatedBlock(prompt), id).to.equal(undefined);
          expect(prompt, id).to.not.include('user\n\n');
        }
      }
    }
    expect(withStarter).to.be.greaterThan(10);
  });
});
