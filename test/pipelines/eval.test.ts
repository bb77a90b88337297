import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { summarize } from '../../app/commands/eval.ts';
import { runPipeline } from '../../app/commands/run.ts';
import { passAtK } from '../../lib/code/pass-at-k.ts';
import { OpenAIGenerator } from '../../lib/generators/openai.ts';
import type { Generator } from '../../lib/generators/types.ts';
import { readManifest, shardRows } from '../../lib/manifest.ts';
import { ExecPool } from '../../lib/sandbox/pool.ts';
import type { ProblemScore } from '../../lib/schemas.ts';
import { Fatal } from '../../lib/stage.ts';
import { Store } from '../../lib/store.ts';
import { evaluation } from '../../pipelines/eval.ts';
import { FIXTURES, killAfterFirstUnit, readShardRows, tmp } from '../helpers.ts';

const CLI = new URL('../../bin/structflow.js', import.meta.url).pathname;

/** pass@k by counting: the share of k-subsets of the samples that hold a correct one. */
function counted(n: number, c: number, k: number): number {
  let hit = 0;
  let all = 0;
  for (let mask = 0; mask < 1 << n; mask++) {
    let bits = 0;
    for (let i = 0; i < n; i++) if (mask & (1 << i)) bits++;
    if (bits !== k) continue;
    all++;
    if (mask & ((1 << c) - 1)) hit++; // the first c samples are the correct ones
  }
  return hit / all;
}

/**
 * A completions server that answers each prompt with a program of its own, and after `answers` answers
 * goes away: it drops every connection until `back()`.
 */
async function leavingServer(answers = Infinity) {
  let served = 0;
  const s: Server = createServer((req, res) => {
    if (served >= answers) return void req.socket.destroy();
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      if (req.method === 'GET') return void res.writeHead(200).end('{"data": []}');
      served++;
      const { prompt, n } = JSON.parse(body) as { prompt: string; n: number };
      const choices = Array.from({ length: n }, (_, index) => ({ index, text: `print(${prompt.length})\n` }));
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ choices }));
    });
  });
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
  return { s, url, back: () => (answers = Infinity) };
}

async function rowsOf(out: string): Promise<ProblemScore[]> {
  const rows: ProblemScore[] = [];
  for await (const r of shardRows<ProblemScore>(out, readManifest(out))) rows.push(r);
  return rows;
}

describe('eval: pass@k of a model, from samples run in the sandbox', function () {
  this.timeout(300_000);

  it('the estimator equals the count over every k-subset, and says when k > n', () => {
    expect(passAtK(5, 2, 1)).to.be.closeTo(0.4, 1e-12);
    expect(passAtK(5, 2, 2)).to.be.closeTo(0.7, 1e-12); // 1 − C(3,2)/C(5,2) = 1 − 3/10
    for (let n = 1; n <= 7; n++)
      for (let c = 0; c <= n; c++)
        for (let k = 1; k <= n; k++)
          expect(passAtK(n, c, k), `${n} ${c} ${k}`).to.be.closeTo(counted(n, c, k), 1e-12);
    expect(passAtK(200, 3, 100)).to.be.within(0, 1); // no overflow of C(200, 100)
    expect(() => passAtK(2, 1, 3)).to.throw(/at least 3 samples/);
  });

  it('samples, verdicts and counts that check out again, and pass@k overall and per difficulty', async () => {
    // half of the samples are the reference solution, half print a constant: pass@1 is ½ exactly
    const model: Generator = {
      name: 'half-right',
      model: 'stub',
      continues: true,
      generate: async (req) =>
        [req.target.problem.solutions[0]!, 'print(1)\n'].map((text) => ({ text, origin: 'model' })),
    };
    const input = join(tmp(), 'eight.jsonl');
    writeFileSync(
      input,
      readFileSync(join(FIXTURES, 'apps.jsonl'), 'utf8').split('\n').slice(0, 8).join('\n') + '\n',
    );
    const out = tmp();
    await runPipeline(evaluation, { input, out, quiet: true, n: 2 }, { given: { generator: model } });
    const rows = await rowsOf(out);
    expect(rows.map((r) => [r.n, r.correct])).to.deep.equal(Array.from({ length: 8 }, () => [2, 1]));
    const s = summarize(rows, [1, 2]);
    expect(s).to.deep.include({ problems: 8, samples_per_problem: 2, 'pass@1': 0.5, 'pass@2': 1 });
    expect(Object.keys(s.by_difficulty).length).to.be.greaterThan(0);
    // every verdict again, from a pool of its own
    const pool = new ExecPool({ workers: 2 });
    try {
      const { readProblems } = await import('../../readers/index.ts');
      const { RunContext } = await import('../../lib/context.ts');
      const tests = new Map<string, unknown>();
      for await (const p of readProblems(new RunContext(), input)) tests.set(p.problem_id, p.tests);
      for (const r of rows)
        // a json column comes back as its text
        for (const [i, sample] of (
          JSON.parse(r.samples as unknown as string) as ProblemScore['samples']
        ).entries()) {
          const again = await pool.run({
            id: `${r.problem_id}#${i}`,
            code: sample.program,
            tests: tests.get(r.problem_id) as never,
          });
          expect(again.verdict, `${r.problem_id} #${i}`).to.equal(sample.verdict);
        }
    } finally {
      await pool.close();
    }
  });

  it('evalplus layout: pass@k on the base tests and on base + plus, overall and per problem', async () => {
    // each problem: its canonical solution and a wrong program; sf-ep/0's wrong one is right below 2 ** 60,
    // so it passes every base input and fails a plus one
    const wrong: Record<string, string> = {
      'sf-ep/0': 'def power_of_two(n):\n    return 2 ** n if n < 60 else 0\n',
    };
    const model: Generator = {
      name: 'one-right',
      model: 'stub',
      continues: true,
      generate: async (req) =>
        [req.target.problem.solutions[0]!, wrong[req.target.problem_id] ?? 'print(1)\n'].map((text) => ({
          text,
          origin: 'model',
        })),
    };
    const out = tmp();
    const input = join(FIXTURES, 'evalplus.jsonl');
    await runPipeline(evaluation, { input, out, quiet: true, n: 2 }, { given: { generator: model } });
    const rows = await rowsOf(out);
    expect(rows.map((r) => [r.problem_id, r.n, r.correct, r.correct_base])).to.deep.equal([
      ['sf-ep/0', 2, 1, 2],
      ['sf-ep/1', 2, 1, 1],
      ['sf-ep/2', 2, 1, 1],
      ['sf-ep/3', 2, 1, 1],
    ]);
    const s = summarize(rows, [1, 2]);
    expect(s).to.deep.include({ problems: 4, 'pass@1': 0.5, 'pass@2': 1 });
    expect(s.base).to.deep.equal({ problems: 4, 'pass@1': 0.625, 'pass@2': 1 });
    expect(s.by_problem['sf-ep/0']).to.deep.equal({
      n: 2,
      correct: 1,
      'pass@1': 0.5,
      'pass@2': 1,
      correct_base: 2,
      base: { 'pass@1': 1, 'pass@2': 1 },
    });
    // a dataset without the split reports one column: its rows hold null there, as Parquet gives them back
    const plain = { ...rows[1]!, correct_base: null as unknown as undefined };
    expect(summarize([plain], [1])).to.not.have.property('base');
    expect(summarize([plain], [1]).by_problem['sf-ep/1']).to.deep.equal({ n: 2, correct: 1, 'pass@1': 0.5 });
  });

  it("LiveCodeBench's date window: problems outside it, or without a date, are rejected with the reason", async () => {
    const model: Generator = {
      name: 'constant',
      model: 'stub',
      continues: true,
      generate: async () => [{ text: 'print(1)\n', origin: 'model' }],
    };
    const out = tmp();
    const input = join(FIXTURES, 'livecodebench.jsonl');
    await runPipeline(
      evaluation,
      { input, out, quiet: true, since: '2024-08-02' },
      { given: { generator: model } },
    );
    const m = readManifest(out);
    expect(m.counts.window).to.include({ in: 2, passed: 1, rejected: 1 });
    expect(m.counts.window!.reasons).to.deep.equal({ outside_window: 1 });
    expect((await rowsOf(out)).map((r) => r.problem_id)).to.have.length(1);
    const he = tmp();
    const undated = join(FIXTURES, 'humaneval.jsonl');
    await runPipeline(
      evaluation,
      { input: undated, out: he, quiet: true, before: '2025-01-01' },
      { given: { generator: model } },
    ).catch((e: Error) => expect(e.message).to.include('no_release_date'));
    expect(readManifest(he).counts.window!.reasons).to.deep.equal({ no_release_date: 4 });
  });

  it('a server that goes away mid-run: its unit is neither committed nor cached, and the same run completes it once the server is back', async () => {
    const input = join(FIXTURES, 'humaneval.jsonl'); // 4 problems: 2 units of 2
    const run = (
      out: string,
      generator: Generator,
      onUnit?: (u: { reused: number; worked: number }) => void,
    ) =>
      runPipeline(
        evaluation,
        { input, out, quiet: true, until: 'generate', 'unit-size': 2 },
        { given: { generator }, ...(onUnit ? { onUnit } : {}) },
      );
    const client = (url: string) =>
      new OpenAIGenerator({ baseUrl: url, model: 'm', attempts: 2, backoffMs: 5 });
    const steady = await leavingServer();
    const leaving = await leavingServer(2); // the first unit's 2 prompts, then gone
    try {
      const clean = tmp();
      await run(clean, client(steady.url));
      const out = tmp();
      const gen = client(leaving.url);
      const err = await run(out, gen).then(
        () => undefined,
        (e: Error) => e,
      );
      expect(err).to.be.instanceOf(Fatal);
      expect(err?.message)
        .to.include(`${leaving.url}/v1/completions: no answer after 2 attempts: connection failed`)
        .and.include('the unit in flight was not committed: once that is fixed, the same command goes on');
      expect(readdirSync(join(out, 'parts')).filter((f) => f.endsWith('.done.json'))).to.have.length(1);
      expect(Store.open(join(out, 'cache')).table('generations').count()).to.equal(2); // the first unit's only
      leaving.back();
      let units = { reused: 0, worked: 0 };
      await run(out, gen, (u) => (units = { ...u }));
      expect(units).to.deep.include({ reused: 1, worked: 1 });
      expect(await readShardRows(out)).to.deep.equal(await readShardRows(clean));
      expect(readManifest(out).counts).to.deep.equal(readManifest(clean).counts);
    } finally {
      steady.s.close();
      leaving.s.close();
    }
  });

  it('through the CLI with a local model: killed with SIGKILL and started again, the same samples and numbers', async () => {
    const args = (out: string) => [
      CLI,
      'eval',
      '--input',
      join(FIXTURES, 'apps.jsonl'),
      '--out',
      out,
      '--model-dir',
      join(FIXTURES, 'tiny-model'),
      '--max-tokens',
      '32',
      '--n',
      '2',
      '--temperature',
      '0.8',
      '--k',
      '1,2',
      '--unit-size',
      '2',
      '--quiet',
    ];
    const whole = tmp();
    execFileSync('node', args(whole), { stdio: 'pipe' });
    const out = tmp();
    await killAfterFirstUnit(args(out), out);
    execFileSync('node', args(out), { stdio: 'pipe' });
    const shas = (d: string) => readManifest(d).shards.map((s) => s.sha256);
    expect(shas(out)).to.deep.equal(shas(whole));
    const result = (d: string) => {
      const { model: _m, ...r } = JSON.parse(readFileSync(join(d, 'eval.json'), 'utf8')) as Record<
        string,
        unknown
      >;
      return r;
    };
    expect(result(out)).to.deep.equal(result(whole));
    expect(result(whole)).to.include({ problems: 35, samples_per_problem: 2 });
  });
});
