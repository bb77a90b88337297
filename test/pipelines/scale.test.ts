import { expect } from 'chai';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readManifest } from '../../lib/manifest.ts';
import type { Report } from '../../lib/report.ts';
import { prng } from '../../lib/random.ts';
import { FIXTURES, tmp } from '../helpers.ts';

const CLI = new URL('../../bin/structflow.js', import.meta.url).pathname;
const run = (...args: string[]) =>
  execFileSync(
    'node',
    [CLI, 'run', 'structurecoder', '--test-timeout', '0.5', '--quiet', '--workers', '2', ...args],
    { stdio: 'pipe' },
  );
const shardSums = (dir: string) => readManifest(dir).shards.map((s) => `${s.file} ${s.rows} ${s.sha256}`);
/** The manifest's counts without what says how this process got them (cache hits differ on a restart). */
const dataCounts = (dir: string) => {
  const counts = readManifest(dir).counts;
  for (const c of Object.values(counts))
    for (const k of ['verdict_cache_hits', 'cache_hits', 'cache_misses']) delete c.stats[k];
  return counts;
};
const sortedRejects = (dir: string) => readFileSync(join(dir, 'rejects.jsonl'), 'utf8').split('\n').sort();
const report = (dir: string) => JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as Report;
/** Same shards, same counts, same rejects as the single uninterrupted run. */
const expectSameAs = (dir: string, single: string) => {
  expect(shardSums(dir)).to.deep.equal(shardSums(single));
  expect(dataCounts(dir)).to.deep.equal(dataCounts(single));
  expect(sortedRejects(dir)).to.deep.equal(sortedRejects(single));
};

describe('scale: ranks, crashes and incremental runs give the single-run output', function () {
  this.timeout(600_000);
  const input = join(FIXTURES, 'apps.jsonl');
  let single: string;
  before(() => {
    single = tmp();
    run('--input', input, '--out', single, '--rows-per-shard', '300');
  });

  it('4 ranks as separate processes, then merge, write the same shards as one process', async () => {
    const ranks = [0, 1, 2, 3].map(() => tmp());
    const start = (r: number) =>
      new Promise<void>((resolve, reject) => {
        const p = spawn('node', [
          CLI,
          'run',
          'structurecoder',
          '--input',
          input,
          '--out',
          ranks[r]!,
          '--until',
          'pair',
          '--test-timeout',
          '0.5',
          '--quiet',
          '--workers',
          '1',
          '--rank',
          String(r),
          '--world',
          '4',
        ]);
        p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`rank ${r} exited ${code}`))));
      });
    await Promise.all([start(0), start(1)]);
    await Promise.all([start(2), start(3)]);
    const rows = ranks.map((d) => readManifest(d).counts.read!.in);
    expect(rows.reduce((a, b) => a + b, 0)).to.equal(35); // every problem in exactly one rank
    const merged = tmp();
    execFileSync(
      'node',
      [CLI, 'merge', '--inputs', ranks.join(','), '--out', merged, '--rows-per-shard', '300'],
      { stdio: 'pipe' },
    );
    expectSameAs(merged, single); // shards, and counts and rejects added up over the ranks
    expect(report(merged).histograms).to.deep.equal(report(single).histograms);
    expect(() => run('--input', input, '--out', merged)).to.throw(/output of a merge.*--overwrite/s);
  });

  it('a rank can come from Slurm array variables', () => {
    const out = tmp();
    execFileSync(
      'node',
      [CLI, 'run', 'structurecoder', '--input', input, '--out', out, '--until', 'format', '--quiet'],
      {
        env: { ...process.env, SLURM_ARRAY_TASK_ID: '1', SLURM_ARRAY_TASK_COUNT: '3' },
        stdio: 'pipe',
      },
    );
    const m = readManifest(out);
    expect(m.config.partition).to.deep.equal({ rank: 1, world: 3 });
    expect(m.counts.read!.in).to.equal(12); // rows 1, 4, 7, … of 35
  });

  /** Starts a run in its own process group and kills the whole group with SIGKILL when `when` resolves. */
  async function killed(args: string[], when: (out: string) => Promise<unknown>, out: string) {
    const child = spawn(
      'node',
      [CLI, 'run', 'structurecoder', '--test-timeout', '0.5', '--quiet', '--workers', '2', ...args],
      { detached: true, stdio: 'ignore' },
    );
    const exited = new Promise((r) => child.on('exit', r).on('error', r));
    await Promise.race([when(out), exited]);
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // it had finished already
    }
    await exited;
  }

  for (const seed of [1, 2]) {
    it(`killed with SIGKILL at a random moment (seed ${seed}) and started again, finishes with the same output`, async () => {
      const out = tmp();
      const args = ['--input', input, '--out', out, '--rows-per-shard', '300', '--unit-size', '6'];
      const delay = 2000 + Math.floor(prng(seed)() * 20_000);
      await killed(args, () => new Promise((r) => setTimeout(r, delay)), out);
      run(...args); // the same command
      expectSameAs(out, single);
    });
  }

  it('killed just after its first unit was committed, the restart reuses that unit and works only the rest', async () => {
    const out = tmp();
    const args = ['--input', input, '--out', out, '--rows-per-shard', '300', '--unit-size', '6'];
    const committed = async (dir: string) => {
      for (;;) {
        const parts = join(dir, 'parts');
        if (existsSync(parts) && readdirSync(parts).some((f) => f.endsWith('.done.json'))) return;
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    await killed(args, committed, out);
    expect(existsSync(join(out, 'manifest.json'))).to.equal(false);
    run(...args);
    const r = report(out);
    expect(r.units.total).to.equal(6); // 35 problems, 6 a unit
    expect(r.units.reused).to.be.within(1, 5);
    expect(r.units.worked).to.equal(6 - r.units.reused);
    expectSameAs(out, single);
  });

  it('--limit, then the same command without it, reuses every unit of the first run and gives the full-run result', () => {
    const out = tmp();
    run('--input', input, '--out', out, '--rows-per-shard', '300', '--unit-size', '6', '--limit', '10');
    expect(report(out).units).to.deep.equal({ total: 2, reused: 0, worked: 2 });
    run('--input', input, '--out', out, '--rows-per-shard', '300', '--unit-size', '6'); // the README's tour
    // rows 0-5 and 6-9 were committed; 10-11 finish the second unit of 6, then 12-17, …, 30-34
    expect(report(out).units).to.deep.equal({ total: 7, reused: 2, worked: 5 });
    expectSameAs(out, single);
    // the first 10 problems' targets were generated for once, by the first run: none reached the cache again
    const gen = readManifest(out).counts.generate!;
    expect(gen.stats.cache_hits ?? 0).to.equal(0);
  });

  it('adding input files to a finished run does only the new work and gives the full-run result', () => {
    const lines = readFileSync(input, 'utf8').trim().split('\n');
    const dir = tmp();
    mkdirSync(join(dir, 'corpus'));
    writeFileSync(join(dir, 'corpus', 'part-a.jsonl'), lines.slice(0, 20).join('\n') + '\n');
    const out = join(dir, 'out');
    run('--input', join(dir, 'corpus'), '--out', out, '--rows-per-shard', '300');
    const firstTargets = readManifest(out).counts.generate!.in;
    writeFileSync(join(dir, 'corpus', 'part-b.jsonl'), lines.slice(20).join('\n') + '\n');
    run('--input', join(dir, 'corpus'), '--out', out, '--rows-per-shard', '300'); // the same command
    expectSameAs(out, single);
    // part-a's unit was committed by the first run: only part-b's problems were read, run and generated for
    expect(report(out).units).to.deep.equal({ total: 2, reused: 1, worked: 1 });
    const gen = readManifest(out).counts.generate!;
    // counts add up over all units, the reused one too: every target was generated for once, when its unit
    // was worked; none was answered by the cache, so part-a's targets did not even reach it again
    expect(gen.in).to.be.greaterThan(firstTargets);
    expect(gen.stats.cache_misses).to.equal(gen.in);
    expect(gen.stats.cache_hits ?? 0).to.equal(0); // a counter never hit is absent
  });
});
