import { expect } from 'chai';
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readManifest } from '../../lib/manifest.ts';
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
    expect(rows.reduce((a, b) => a + b, 0)).to.equal(34); // every problem in exactly one rank
    const merged = tmp();
    execFileSync(
      'node',
      [CLI, 'merge', '--inputs', ranks.join(','), '--out', merged, '--rows-per-shard', '300'],
      { stdio: 'pipe' },
    );
    expect(shardSums(merged)).to.deep.equal(shardSums(single));
  });

  it('a rank can come from Slurm array variables', () => {
    const out = tmp();
    execFileSync(
      'node',
      [CLI, 'run', 'structurecoder', '--input', input, '--out', out, '--until', 'format', '--quiet'],
      {
        env: { ...process.env, SLURM_ARRAY_TASK_ID: '1', SLURM_ARRAY_TASK_COUNT: '3' },
      },
    );
    const m = readManifest(out);
    expect(m.config.partition).to.deep.equal({ rank: 1, world: 3 });
    expect(m.counts.read!.in).to.equal(11); // rows 1, 4, 7, … of 34
  });

  for (const seed of [1, 2]) {
    it(`killed with SIGKILL at a random moment (seed ${seed}) and started again, finishes with the same shards`, async () => {
      const out = tmp();
      const args = ['--input', input, '--out', out, '--rows-per-shard', '300'];
      const delay = 2000 + Math.floor(prng(seed)() * 12_000);
      const child = spawn(
        'node',
        [CLI, 'run', 'structurecoder', '--test-timeout', '0.5', '--quiet', '--workers', '2', ...args],
        { detached: true, stdio: 'ignore' },
      );
      await new Promise((r) => setTimeout(r, delay));
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // it had finished already
      }
      await new Promise((r) => child.on('exit', r).on('error', r));
      run(...args, '--overwrite'); // the same command (a finished run needs --overwrite; a killed one has no manifest)
      expect(shardSums(out)).to.deep.equal(shardSums(single));
    });
  }

  it('adding input files to a finished run does only the new work and gives the full-run result', () => {
    const lines = readFileSync(input, 'utf8').trim().split('\n');
    const dir = tmp();
    mkdirSync(join(dir, 'corpus'));
    writeFileSync(join(dir, 'corpus', 'part-a.jsonl'), lines.slice(0, 20).join('\n') + '\n');
    const out = join(dir, 'out');
    run('--input', join(dir, 'corpus'), '--out', out, '--rows-per-shard', '300');
    writeFileSync(join(dir, 'corpus', 'part-b.jsonl'), lines.slice(20).join('\n') + '\n');
    run('--input', join(dir, 'corpus'), '--out', out, '--rows-per-shard', '300', '--overwrite');
    const m = readManifest(out);
    expect(shardSums(out)).to.deep.equal(shardSums(single));
    // the first 20 problems' programs came from the verdict cache, their candidates from the generation cache
    expect(m.counts.label!.stats.verdict_cache_hits).to.be.greaterThan(300);
    expect(m.counts.generate!.stats.cache_hits).to.be.greaterThan(50);
  });
});
