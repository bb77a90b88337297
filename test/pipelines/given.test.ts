import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { readManifest } from '../../lib/manifest.ts';
import { collect, FIXTURES, readShardRows, tmp } from '../helpers.ts';
import { RunContext } from '../../lib/context.ts';
import { readProblems } from '../../readers/index.ts';

const CLI = new URL('../../bin/structflow.js', import.meta.url).pathname;
const lineCount = (s: string) => s.replace(/\n+$/, '').split('\n').length;

/** A pipeline on a fixture: its manifest and its rows. */
async function run(pipeline: string, fixture: string) {
  const out = tmp();
  const args = ['run', pipeline, '--input', join(FIXTURES, fixture), '--out', out, '--quiet'];
  execFileSync('node', [CLI, ...args], { stdio: 'pipe' });
  return { m: readManifest(out), rows: await readShardRows(out) };
}

// docs/method.md, Given code: the code a task gives is context of every program, never a target nor an answer
describe('given code is context, never a target', function () {
  this.timeout(300_000);

  for (const pipeline of ['structurecoder', 'targetdpo'])
    it(`${pipeline}: LeetCodeDataset's header is in no pair; the curriculum counts the solution's lines`, async () => {
      const [p] = await collect(readProblems(new RunContext(), join(FIXTURES, 'leetcode.jsonl')));
      const header = p!.given!;
      const { rows } = await run(pipeline, 'leetcode.jsonl');
      expect(rows.length).to.be.greaterThan(0);
      for (const r of rows) {
        const sides = [
          r.prefix,
          r.suffix,
          r.chosen_middle,
          r.rejected_middle,
          r.chosen_code,
          r.rejected_code,
        ];
        for (const text of sides.filter((s): s is string => typeof s === 'string')) {
          expect(text).not.to.include('def list_node');
          expect(text).not.to.include('from typing import');
        }
        if (r.kind === 'full') {
          expect(String(r.chosen_middle)).to.match(/^class Solution:/);
          expect(r.curriculum_key).to.equal(lineCount(String(r.chosen_middle)));
          expect(lineCount(String(r.chosen_middle))).to.be.lessThan(lineCount(header));
          // the prompt states the interface the tests call
          expect(String(r.prompt)).to.match(/def (twoSumSorted|countEvens)\(/);
        }
      }
    });

  it("structurecoder: HumanEval's given imports are no part of an answer; the full prompt shows them", async () => {
    const { rows } = await run('structurecoder', 'humaneval.jsonl');
    const full = rows.filter((r) => r.problem_id === 'SF/1' && r.kind === 'full');
    expect(full.length).to.be.greaterThan(0);
    for (const r of full) {
      expect(String(r.chosen_middle)).to.match(/^def count_evens\(/);
      expect(String(r.prompt)).to.include('from typing import List');
    }
  });
});
