import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RunContext } from '../../lib/context.ts';
import { readManifest } from '../../lib/manifest.ts';
import { pullThrough } from '../../lib/pull.ts';
import { ROOT } from '../../lib/root.ts';
import type { Problem } from '../../lib/schemas.ts';
import { decontaminate, type EvalItem } from '../../operators/decontaminate.ts';
import { readProblems } from '../../readers/index.ts';
import { collect, FIXTURES, tmp } from '../helpers.ts';

const HUMANEVAL = join(FIXTURES, 'humaneval.jsonl');

async function* evals(): AsyncGenerator<EvalItem> {
  for await (const p of readProblems(new RunContext(), HUMANEVAL))
    yield { id: p.problem_id, texts: [p.question, ...p.solutions] };
}

const problem = (id: string, question: string, solutions: string[]): Problem => ({
  problem_id: id,
  source: 'apps',
  question,
  solutions,
  tests: { kind: 'stdio', inputs: [], outputs: [] },
  starter_code: '',
});

describe('decontaminate', () => {
  it('drops a copy of an evaluation item (also re-cased and re-spaced), naming it; distinct problems pass', async () => {
    const [item] = await collect(readProblems(new RunContext(), HUMANEVAL));
    const copied = problem('copy', item!.question.toUpperCase().replace(/ /g, '   '), ['print(1)']);
    const ownSolution = problem('same-solution', 'Write add.', [item!.solutions[0]!]);
    const near = problem(
      'generic',
      'Return the sum of the numbers a and b given on the first line of input.',
      ['print(sum(map(int, input().split())))'],
    );
    const ctx = new RunContext();
    const fixtures = await collect(readProblems(ctx, join(FIXTURES, 'apps.jsonl')));
    const out = await collect(
      pullThrough([copied, ownSolution, near, ...fixtures], decontaminate(ctx, { evals })),
    );
    expect(out.map((p) => p.problem_id)).to.deep.equal(['generic', ...fixtures.map((p) => p.problem_id)]);
    const c = ctx.counter('decontaminate');
    expect(c).to.deep.include({ in: fixtures.length + 3, passed: fixtures.length + 1, rejected: 2 });
    expect(c.reasons).to.deep.equal({ contaminated: 2 });
  });

  it('through the CLI: --decontaminate FILE rejects the copied problem by name, and the counts add up', () => {
    const dir = tmp();
    const he = JSON.parse(readFileSync(HUMANEVAL, 'utf8').split('\n')[0]!) as Record<string, string>;
    const apps = readFileSync(join(FIXTURES, 'apps.jsonl'), 'utf8').trim().split('\n').slice(0, 3);
    const stolen = {
      problem_id: 'stolen',
      question: he.prompt,
      solutions: JSON.stringify([he.prompt! + he.canonical_solution!]),
      input_output: '',
    };
    const input = join(dir, 'train.jsonl');
    writeFileSync(input, [...apps, JSON.stringify(stolen)].join('\n') + '\n');
    const out = join(dir, 'out');
    const cli = join(ROOT, 'bin', 'structflow.js');
    execFileSync('node', [
      cli,
      'run',
      'structurecoder',
      '--input',
      input,
      '--out',
      out,
      '--until',
      'split',
      '--quiet',
      '--decontaminate',
      HUMANEVAL,
    ]);
    const m = readManifest(out);
    expect(m.counts.decontaminate).to.deep.include({ in: 4, passed: 3, rejected: 1 });
    const rejects = readFileSync(join(out, 'rejects.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, string>);
    const r = rejects.find((x) => x.stage === 'decontaminate')!;
    expect(r).to.include({ id: 'stolen', reason: 'contaminated' });
    expect(r.detail).to.match(new RegExp(`of the 10-grams of evaluation item ${he.task_id}$`));
  });
});
