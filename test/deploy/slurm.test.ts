import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { readManifest } from '../../lib/manifest.ts';
import { ROOT } from '../../lib/root.ts';
import { FIXTURES, fixturePairShards, tmp } from '../helpers.ts';

const CLUSTER = join(ROOT, 'test', 'deploy', 'slurm-cluster.sh');
const CLI = join(ROOT, 'bin', 'structflow.js');
const sha = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');
/** Counts less the cache counters: how often a cache answered depends on which work shared one. */
function withoutCaches(counts: Record<string, { stats: Record<string, number> }>) {
  const c = structuredClone(counts);
  for (const s of Object.values(c)) for (const k of ['cache_hits', 'cache_misses']) delete s.stats[k];
  return c;
}
const sortedLines = (path: string) => readFileSync(path, 'utf8').trim().split('\n').sort();

describe('Slurm, for real: a single-node cluster (slurmctld, slurmd, munged) on this machine', function () {
  this.timeout(900_000);
  let cluster: string;
  let env: NodeJS.ProcessEnv;
  const slurm = (cmd: string, ...args: string[]) => execFileSync(cmd, args, { env, encoding: 'utf8' });
  /** Waits until none of the jobs is queued or running. */
  async function waitFor(ids: string[]) {
    for (let t = 0; t < 600; t++) {
      if (!slurm('squeue', '-h', '-j', ids.join(','), '-o', '%i').trim()) return;
      await new Promise((r) => setTimeout(r, 1000));
    }
    throw new Error(`jobs ${ids.join(',')} still queued after 10 minutes`);
  }
  const state = (id: string) => /JobState=(\w+)/.exec(slurm('scontrol', 'show', 'job', id))![1];

  before(() => {
    cluster = tmp('sf-slurm-');
    // MaxArraySize 3: the 4 ranks below need two arrays
    const line = execFileSync('bash', [CLUSTER, 'start', cluster], {
      env: { ...process.env, MAX_ARRAY_SIZE: '3' },
    });
    env = { ...process.env, SLURM_CONF: line.toString().trim().split('=')[1]! };
  });
  after(() => execFileSync('bash', [CLUSTER, 'stop', cluster]));

  it('structflow slurm submits the ranks (split at MaxArraySize) and a dependent merge; the result is a single run, byte for byte', async () => {
    const single = fixturePairShards(); // the same flags in one process
    const out = join(tmp(), 'run');
    const printed = execFileSync(
      'node',
      [
        CLI,
        'slurm',
        'structurecoder',
        '--input',
        join(FIXTURES, 'apps.jsonl'),
        '--out',
        out,
        '--ranks',
        '4',
        '--sbatch=--cpus-per-task=1',
        '--test-timeout',
        '0.5',
        '--rows-per-shard',
        '300',
      ],
      { env, encoding: 'utf8' },
    );
    const ids = printed.trim().split('\n').pop()!.split(' ');
    expect(ids).to.have.length(3); // two arrays (ranks 0-2 and 3) and the merge
    expect(slurm('scontrol', 'show', 'job', ids[2]!)).to.match(
      new RegExp(`Dependency=afterok:${ids[0]}.*:${ids[1]}`),
    );
    await waitFor(ids);
    for (const id of ids) expect(state(id), `job ${id}`).to.equal('COMPLETED');
    const m = readManifest(out);
    const ref = readManifest(single);
    expect(m.shards.map((s) => sha(join(out, s.file)))).to.deep.equal(
      ref.shards.map((s) => sha(join(single, s.file))),
    );
    expect(sortedLines(join(out, 'rejects.jsonl'))).to.deep.equal(sortedLines(join(single, 'rejects.jsonl')));
    expect(withoutCaches(m.counts)).to.deep.equal(withoutCaches(ref.counts)); // each rank has a cache of its own

    // one rank submitted again, alone (rank 3 is index 0 of the second array): it finds its units committed
    const again = slurm('sbatch', '--parsable', '--array=0', join(out, 'slurm', 'ranks-1.sbatch')).trim();
    await waitFor([again]);
    const report = JSON.parse(readFileSync(join(out, 'ranks', 'rank-3', 'report.json'), 'utf8')) as {
      units: { total: number; reused: number; worked: number };
    };
    expect(report.units.reused).to.equal(report.units.total);
    expect(report.units.worked).to.equal(0);
  });

  it("structflow slurm ./mine.ts: a user's pipeline module, as two ranks and their merge, gives one process's bytes", async () => {
    const dir = tmp();
    const mine = join(dir, 'mine.ts');
    writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n'); // else tsx loads mine.ts as CommonJS
    // a module of the user's in TypeScript (tsx loads it in every rank and in the merge); the package's
    // entries by file URL, as this folder has no node_modules
    const api = (f: string) => pathToFileURL(join(ROOT, 'dist', 'api', f)).href;
    writeFileSync(
      mine,
      [
        `import { definePipeline } from '${api('index.js')}';`,
        `import { structurecoder } from '${api('code-dpo.js')}';`,
        `export default definePipeline({ ...structurecoder, name: 'mine', summary: 'StructureCoder, from a module' });`,
      ].join('\n'),
    );
    const flags = ['--input', join(FIXTURES, 'apps.jsonl'), '--limit', '12', '--test-timeout', '0.5'];
    const single = join(dir, 'single');
    execFileSync('node', [CLI, 'run', mine, ...flags, '--out', single, '--quiet'], { stdio: 'pipe' });
    const out = join(dir, 'run');
    const printed = execFileSync(
      'node',
      [CLI, 'slurm', mine, ...flags, '--out', out, '--ranks', '2', '--sbatch=--cpus-per-task=1'],
      { env, encoding: 'utf8' },
    );
    const ids = printed.trim().split('\n').pop()!.split(' ');
    expect(ids).to.have.length(2); // the ranks' array and the merge
    await waitFor(ids);
    for (const id of ids) expect(state(id), `job ${id}`).to.equal('COMPLETED');
    const m = readManifest(out);
    const ref = readManifest(single);
    expect(m.pipeline).to.equal('mine');
    expect(m.rows).to.be.greaterThan(0);
    expect(m.shards.map((s) => sha(join(out, s.file)))).to.deep.equal(
      ref.shards.map((s) => sha(join(single, s.file))),
    );
  });
});
