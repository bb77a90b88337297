import { expect } from 'chai';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runPipeline } from '../../app/commands/run.ts';
import { structurecoder } from '../../pipelines/structurecoder.ts';
import { FIXTURES, readShardRows, tmp } from '../helpers.ts';

// "Every record's outcome is its own" (docs/sandbox.md), end to end: fixtures/isolation.jsonl puts a hostile
// row (a reference that prints the right answer and attacks whatever runs after it on its slot) before
// benign ones. One sandbox worker, so every benign program runs on a slot hostile programs used. The benign
// records must come out the same alone, after the hostile rows, and alone again from the hostile run's
// verdict cache (a verdict the attacks changed would be replayed from there).

const INPUT = join(FIXTURES, 'isolation.jsonl');
const HOSTILE = /^iso-h/;

/** The problem a record id names: `sf-0001`, `sf-0001/2` and `sf-0001/0/5-8` belong to `sf-0001`. */
const problemOf = (id: string) => id.split('/')[0]!;

/** One run of the pipeline through pairing (the curriculum's shuffle draws per pair, so the hostile rows'
 *  pairs would reorder the benign ones; pairs come out in input order). */
async function run(input: string, out: string, cache?: string) {
  await runPipeline(structurecoder, {
    input,
    out,
    quiet: true,
    until: 'pair',
    workers: 1,
    n: 2,
    'test-timeout': 1,
    ...(cache ? { cache } : {}),
  });
}

/** The run's outcomes for benign problems, as JSON lines: pair rows in the order written (less their input
 *  position, which the hostile rows shift) and rejects sorted (a unit's rejects are written as its stages
 *  reject, so their order follows the timing of the stages, which the hostile rows change). */
async function benignOutcomes(out: string, benign: Set<string>) {
  const rows = (await readShardRows(out))
    .filter((r) => benign.has(r.problem_id as string))
    .map(({ problem_index: _, ...r }) =>
      JSON.stringify(r, (_k, v) => (typeof v === 'bigint' ? String(v) : v)),
    );
  const rejects = readFileSync(join(out, 'rejects.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l && benign.has(problemOf(JSON.parse(l).id)))
    .sort();
  return { rows, rejects };
}

/** What `got` lacks and adds against `want` (rows shortened by `show`), or that only the order differs. */
function differences(name: string, got: string[], want: string[], show = (l: string) => l): string[] {
  const only = (xs: string[], ys: string[]) => xs.filter((x) => !ys.includes(x)).map(show);
  const out = [
    ...only(want, got).map((l) => `${name}, missing: ${l}`),
    ...only(got, want).map((l) => `${name}, extra: ${l}`),
  ];
  if (!out.length && got.join('\n') !== want.join('\n')) out.push(`${name}: the same lines in another order`);
  return out;
}

/** A pair row by its target and its rejected side, enough to tell which outcome changed. */
const briefPair = (l: string) => {
  const r = JSON.parse(l) as Record<string, unknown>;
  return `${r.target_id} rejected #${r.rejected_index} (${r.rejected_origin}): ${r.rejected_verdict} ${r.rejected_error}`;
};

/** The label stage's verdict of each hostile reference (its reject, else a pass), for the log. */
function hostileLabels(out: string, hostile: string[]): string {
  const rejects = readFileSync(join(out, 'rejects.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { id: string; stage: string; reason: string; detail?: string });
  return hostile
    .map((id) => {
      const r = rejects.find((x) => x.stage === 'label' && x.id === `${id}/0`);
      return `${id} ${r ? `${r.reason} (${r.detail})` : 'pass'}`;
    })
    .join(', ');
}

describe('isolation: no program or row reaches another record (fixtures/isolation.jsonl)', function () {
  this.timeout(150_000);

  it('benign records come out byte-identical alone, after hostile rows on one worker, and from their cache', async () => {
    const lines = readFileSync(INPUT, 'utf8').trim().split('\n');
    const ids = lines.map((l) => JSON.parse(l).problem_id as string);
    const benign = new Set(ids.filter((id) => !HOSTILE.test(id)));
    expect(benign.size).to.be.greaterThan(0);
    expect(ids.length).to.be.greaterThan(benign.size);
    const alone = join(tmp(), 'benign.jsonl');
    writeFileSync(alone, lines.filter((l) => benign.has(JSON.parse(l).problem_id)).join('\n') + '\n');

    const [a, b, c] = [tmp(), tmp(), tmp()];
    await run(alone, a);
    await run(INPUT, b);
    await run(alone, c, join(b, 'cache'));

    // the hostile references are judged on their whole run: the ones that attack only later programs pass;
    // iso-h09 prints an extra line from an atexit handler after its answer, iso-h10 SIGKILLs itself after it
    const hostile = ids.filter((id) => HOSTILE.test(id));
    expect(hostileLabels(b, hostile)).to.equal(
      [
        ...hostile.slice(0, 8).map((id) => `${id} pass`),
        'iso-h09 verdict_fail (wrong answer on test 1 of 2)',
        'iso-h10 verdict_error (killed by SIGKILL)',
      ].join(', '),
    );

    const outA = await benignOutcomes(a, benign);
    const outB = await benignOutcomes(b, benign);
    const outC = await benignOutcomes(c, benign);
    expect(outA.rows.length).to.be.greaterThan(0);
    // every outcome that differs, after the hostile rows and from their cache, in one failure
    const diffs = [
      ...differences('after hostile rows, rejects', outB.rejects, outA.rejects),
      ...differences('after hostile rows, pairs', outB.rows, outA.rows, briefPair),
      ...differences('from the hostile run’s cache, rejects', outC.rejects, outA.rejects),
      ...differences('from the hostile run’s cache, pairs', outC.rows, outA.rows, briefPair),
    ];
    expect(diffs, diffs.join('\n')).to.deep.equal([]);
  });
});
