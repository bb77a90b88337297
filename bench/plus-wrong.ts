// How many candidates a `--until check` run labelled pass, other than the golden block, are wrong on
// HumanEval+'s inputs (issue 38, part 4). Usage: node bench/plus-wrong.ts RUN_DIR HumanEvalPlus.jsonl.gz
import { from, lastValueFrom, toArray } from 'rxjs';
import { RunContext } from '../lib/context.ts';
import { runnable } from '../lib/code/given.ts';
import { ExecPool } from '../lib/sandbox/pool.ts';
import type { CheckedCandidate, Problem } from '../lib/schemas.ts';
import { expectOutputs } from '../operators/expect.ts';
import { readProblems } from '../readers/index.ts';
import { readShardRows } from '../test/helpers.ts';

const [dir, plusFile] = process.argv.slice(2);
// a verdict cache shared by the runs measured (the reference's answers and the golden blocks repeat)
const pool = new ExecPool({ workers: 2, cacheDir: process.env.PLUS_WRONG_CACHE ?? '/tmp/plus-wrong-cache' });
const ctx = new RunContext();
const read: Problem[] = [];
for await (const p of readProblems(ctx, plusFile!)) read.push(p);
const plus = new Map(
  (
    await lastValueFrom(
      from(read).pipe(
        expectOutputs(ctx, {
          pool: () => pool,
          concurrency: 2,
          limits: { program_cpu_s: 300, program_wall_s: 900 },
        }),
        toArray(),
      ),
    )
  ).map((p) => [p.problem_id, p]),
);
const rows = (await readShardRows(dir!)) as unknown as CheckedCandidate[];
let pass = 0,
  nonGolden = 0,
  wrong = 0,
  wrongWhereGoldenPasses = 0,
  caught = 0;
// whether a target's golden block passes HumanEval+'s inputs: where it does not (a timeout under the
// program's limit, a reference the plus inputs break), a candidate's failing there says nothing of it
const goldenPasses = new Map<string, boolean>();
for (const c of rows) {
  if (c.extra_fail) caught++;
  if (c.verdict !== 'pass') continue;
  pass++;
  if (c.candidate === c.middle) continue;
  nonGolden++;
  const p = plus.get(c.problem_id);
  if (!p) continue;
  const r = await pool.run({
    id: `${c.target_id}#${c.candidate_index}`,
    code: runnable(p, c.prefix + c.candidate + c.suffix),
    tests: p.tests,
  });
  if (r.verdict === 'pass') continue;
  wrong++;
  if (!goldenPasses.has(c.target_id)) {
    const g = await pool.run({
      id: `${c.target_id}#golden`,
      code: runnable(p, c.prefix + c.middle + c.suffix),
      tests: p.tests,
    });
    goldenPasses.set(c.target_id, g.verdict === 'pass');
  }
  if (goldenPasses.get(c.target_id)) wrongWhereGoldenPasses++;
}
console.log(
  JSON.stringify({
    dir,
    candidates: rows.length,
    pass,
    nonGolden,
    wrongOnPlus: wrong,
    wrongOnPlusWhereGoldenPasses: wrongWhereGoldenPasses,
    extraTestsCaught: caught,
  }),
);
await pool.close();
