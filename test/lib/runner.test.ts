import { expect } from 'chai';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import type { RunContext } from '../../lib/context.ts';
import { readManifest } from '../../lib/manifest.ts';
import { plan, type FinalStep, type Step } from '../../lib/pipeline.ts';
import { runToShards, type RunOptions, type WorkUnit } from '../../lib/runner.ts';
import { Problem } from '../../lib/schemas.ts';
import { Rejected, stage } from '../../lib/stage.ts';
import { readProblemUnits } from '../../readers/index.ts';
import { appsRow, readShardRows, tmp } from '../helpers.ts';

type Rec = { n: number };
const Rec = z.object({ n: z.number().int() });

/** Units of 4 numbers each; `crashAt` throws in the middle of that unit, as a killed process would stop. */
function units(count: number, crashAt?: number) {
  return async function* (): AsyncGenerator<WorkUnit<Rec>> {
    for (let u = 0; u < count; u++) {
      const problems = async function* () {
        for (let i = 0; i < 4; i++) {
          if (u === crashAt && i === 2) throw new Error('crash');
          yield { n: u * 4 + i };
        }
      };
      yield { key: `unit-${u}`, file: 'mem', chunk: u, problems, skip: async () => {} };
    }
  };
}

const worked: number[] = [];
function options(out: string, count: number, crashAt?: number): RunOptions<Rec> {
  const double: Step = {
    name: 'double',
    output: Rec,
    op: (ctx: RunContext) =>
      stage(ctx, { name: 'double', input: Rec, output: Rec, id: (r) => String(r.n) }, () => (r) => {
        worked.push(r.n);
        if (r.n % 5 === 0) throw new Rejected('five', `${r.n} is a multiple of 5`);
        return [{ n: r.n * 2 }];
      }),
  };
  // a global step: the last record first, so it must see every unit's records
  const reverse: FinalStep = {
    name: 'reverse',
    output: Rec,
    run: async function* (c: RunContext, records: AsyncIterable<Rec>) {
      const all: Rec[] = [];
      for await (const r of records) all.push(r);
      c.counter('reverse').in += all.length;
      c.counter('reverse').passed += all.length;
      yield* all.reverse();
    },
  };
  return {
    pipeline: 'test',
    until: 'reverse',
    units: units(count, crashAt),
    plan: plan([double], reverse),
    settings: { test: 1 },
    out,
    progress: false,
    log: () => {},
  };
}

describe('runner: units committed one at a time', () => {
  it('a run that died in its third unit, started again, works only the rest and writes the uninterrupted output', async () => {
    const clean = tmp();
    await runToShards(options(clean, 5));
    const out = tmp();
    worked.length = 0;
    let err: unknown;
    await runToShards(options(out, 5, 2)).catch((e: unknown) => (err = e));
    expect(String(err)).to.match(/crash/);
    expect(existsSync(join(out, 'manifest.json'))).to.equal(false);
    expect(readdirSync(join(out, 'parts')).filter((f) => f.endsWith('.done.json'))).to.have.length(2);

    worked.length = 0;
    const m = await runToShards(options(out, 5));
    expect(m.run.units).to.deep.equal({ total: 5, reused: 2, worked: 3 });
    expect(worked).to.deep.equal([8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19]); // units 2-4 only
    expect(await readShardRows(out)).to.deep.equal(await readShardRows(clean));
    expect((await readShardRows(out))[0]).to.deep.equal({ n: 38 }); // the global step saw every unit
    const c = readManifest(clean);
    expect(m.counts).to.deep.equal(c.counts);
    expect(m.rejects.rows).to.equal(4); // 0, 5, 10, 15
    expect(readFileSync(join(out, 'rejects.jsonl'), 'utf8')).to.equal(
      readFileSync(join(clean, 'rejects.jsonl'), 'utf8'),
    );
  });

  it('a finished run started again reworks nothing; a grown input works only its new units', async () => {
    const out = tmp();
    await runToShards(options(out, 3));
    worked.length = 0;
    const again = await runToShards(options(out, 3));
    expect(again.run.units).to.deep.equal({ total: 3, reused: 3, worked: 0 });
    expect(worked).to.deep.equal([]);
    const grown = await runToShards(options(out, 4));
    expect(grown.run.units).to.deep.equal({ total: 4, reused: 3, worked: 1 });
    expect(worked).to.deep.equal([12, 13, 14, 15]);
    const full = tmp();
    await runToShards(options(full, 4));
    expect(await readShardRows(out)).to.deep.equal(await readShardRows(full));
    expect(grown.counts).to.deep.equal(readManifest(full).counts);
  });

  it('refuses parts made with other settings, and --overwrite discards them', async () => {
    const out = tmp();
    await runToShards(options(out, 2));
    const other = { ...options(out, 2), settings: { something: 'else' } };
    let err: unknown;
    await runToShards(other).catch((e: unknown) => (err = e));
    expect(String(err)).to.match(/other settings.*--overwrite/);
    worked.length = 0;
    const m = await runToShards({ ...other, overwrite: true });
    expect(m.run.units.worked).to.equal(2);
  });
});

describe('runner: a run over more input reuses the units it shares with a run over less', () => {
  it('--limit, then the whole input: every unit of the first run is reused, the one the limit cut short too', async () => {
    const dir = tmp();
    const input = join(dir, 'rows.jsonl');
    const row = appsRow;
    writeFileSync(input, Array.from({ length: 10 }, (_, i) => row(i)).join('\n') + '\n');
    const seen: number[] = [];
    const index: Step = {
      name: 'index',
      output: Rec,
      op: (ctx: RunContext) =>
        stage(ctx, { name: 'index', input: Problem, output: Rec, id: (p) => p.problem_id }, () => (p) => {
          seen.push(p.problem_index!);
          return [{ n: p.problem_index! }];
        }),
    };
    const opts = (out: string, limit?: number): RunOptions<Problem> => ({
      pipeline: 'test',
      until: 'index',
      units: (ctx) => readProblemUnits(ctx, input, { unitSize: 4, ...(limit ? { limit } : {}) }),
      plan: plan([index], undefined),
      settings: { test: 1 }, // --limit is not among them: it selects input, it does not change a record
      out,
      progress: false,
      log: () => {},
    });
    const out = tmp();
    expect((await runToShards(opts(out, 6))).run.units).to.deep.equal({ total: 2, reused: 0, worked: 2 });
    seen.length = 0;
    const all = await runToShards(opts(out));
    // rows 0-3 and 4-5 were committed; 6-7 finish the second unit of 4, then 8-9
    expect(all.run.units).to.deep.equal({ total: 4, reused: 2, worked: 2 });
    expect(seen).to.deep.equal([6, 7, 8, 9]);
    const whole = tmp();
    await runToShards(opts(whole));
    expect(await readShardRows(out)).to.deep.equal(await readShardRows(whole));
    expect(all.counts).to.deep.equal(readManifest(whole).counts);
    seen.length = 0;
    expect((await runToShards(opts(out))).run.units).to.deep.equal({ total: 4, reused: 4, worked: 0 });
    // a smaller limit again does not take a longer unit: rows 4-5 are what was committed for it
    expect((await runToShards(opts(out, 5))).run.units).to.deep.equal({ total: 2, reused: 1, worked: 1 });
    expect(seen).to.deep.equal([4]);
  });
});

describe('runner: the output folder', () => {
  it('a folder StructFlow did not write is refused unless empty, and nothing in it is touched', async () => {
    const out = tmp();
    writeFileSync(join(out, 'rejects.jsonl'), 'my notes\n');
    const err = await runToShards(options(out, 1)).then(
      () => undefined,
      (e: Error) => e.message,
    );
    expect(err).to.equal(
      `${out} is not empty (rejects.jsonl) and holds no StructFlow output; --out takes a new or empty folder, or one a run wrote`,
    );
    expect(readdirSync(out)).to.deep.equal(['rejects.jsonl']);
    expect(readFileSync(join(out, 'rejects.jsonl'), 'utf8')).to.equal('my notes\n');
    const empty = tmp();
    await runToShards(options(empty, 1)); // an empty folder is taken, and then it is a run's own
    await runToShards({ ...options(empty, 1), overwrite: true });
  });
});
