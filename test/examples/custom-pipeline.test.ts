import { expect } from 'chai';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, readdirSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { readManifest } from '../../lib/manifest.ts';
import { ROOT } from '../../lib/root.ts';
import { killAfterFirstUnit, tmp } from '../helpers.ts';

const EXAMPLE = join(ROOT, 'examples', 'custom-pipeline');

/**
 * The example as a project outside this repository meets StructFlow: the packed package (what `npm publish`
 * would ship) unpacked into its node_modules, its dependencies beside it, the programs' packages where
 * `python/setup-venv.sh` puts them. Only what the tarball holds and its `exports` allow is reachable.
 */
function install(): string {
  const dir = tmp();
  chmodSync(dir, 0o755); // the sandbox's user (another uid) reads the package's programs' packages
  const pkg = join(dir, 'node_modules', 'structflow');
  mkdirSync(pkg, { recursive: true });
  const tarball = execFileSync('npm', ['pack', '--ignore-scripts', '--silent', '--pack-destination', dir], {
    cwd: ROOT,
  })
    .toString()
    .trim()
    .split('\n')
    .at(-1)!;
  execFileSync('tar', ['xzf', join(dir, tarball), '-C', pkg, '--strip-components=1']);
  // what `npm install` would put there: the package's dependencies, and @types/node for the example's tsc
  symlinkSync(join(ROOT, 'node_modules'), join(pkg, 'node_modules'));
  symlinkSync(join(ROOT, '.sandbox-site'), join(pkg, '.sandbox-site'));
  mkdirSync(join(dir, 'node_modules', '@types'));
  symlinkSync(join(ROOT, 'node_modules', '@types', 'node'), join(dir, 'node_modules', '@types', 'node'));
  for (const f of readdirSync(EXAMPLE)) cpSync(join(EXAMPLE, f), join(dir, f), { recursive: true });
  return dir;
}

const shards = (out: string) => readManifest(out).shards.map((s) => s.sha256);

describe('examples/custom-pipeline: a project of its own on the packed package', function () {
  this.timeout(600_000);
  let dir: string;
  let cli: string;
  const run = (...args: string[]) =>
    execFileSync('node', [cli, 'run', './pipeline.ts', '--input', 'data/katas.jsonl', '--quiet', ...args], {
      cwd: dir,
      stdio: 'pipe',
    }).toString();
  before(() => {
    dir = install();
    cli = join(dir, 'node_modules', 'structflow', 'bin', 'structflow.js');
  });

  it('type-checks against the published types, and reaches nothing the exports do not allow', () => {
    execFileSync(join(ROOT, 'node_modules', '.bin', 'tsc'), ['-p', dir], { stdio: 'pipe' });
    for (const f of readdirSync(dir).filter((f) => /\.(ts|mjs)$/.test(f))) {
      const specs = [...readFileSync(join(dir, f), 'utf8').matchAll(/from '([^']+)'|import '([^']+)'/g)];
      for (const m of specs) expect(m[1] ?? m[2], f).to.match(/^(structflow(\/code-dpo)?|\.\/.*)$/);
    }
    const deep = execFileSync(
      'node',
      [
        '-e',
        "import('structflow/dist/lib/stage.js').then(() => console.log('ok'), (e) => console.log(e.code))",
      ],
      { cwd: dir },
    );
    expect(deep.toString().trim()).to.equal('ERR_PACKAGE_PATH_NOT_EXPORTED');
  });

  it('runs through the CLI (its reader, its stage, the built-in steps) and the same from a program', () => {
    run('--out', 'cli');
    const m = readManifest(join(dir, 'cli'));
    expect(m.pipeline).to.equal('kata-blocks');
    expect(m.rows).to.be.greaterThan(50);
    expect(m.counts.read!.in).to.equal(8); // the kata layout was detected from the rows
    expect(m.counts['max-level']).to.include({ in: 8, passed: 7, rejected: 1 });
    expect(m.counts['max-level']!.reasons).to.deep.equal({ too_hard: 1 });
    for (const s of ['format', 'label', 'split', 'fim', 'generate', 'check', 'pair'])
      expect(m.counts[s]!.out, s).to.be.greaterThan(0);
    const help = execFileSync('node', [cli, 'run', './pipeline.ts', '--help'], { cwd: dir }).toString();
    expect(help).to.include('--max-level N');
    const said = execFileSync('node', ['run.mjs', 'data/katas.jsonl', 'program'], { cwd: dir }).toString();
    expect(said).to.include(`${m.rows} rows`);
    expect(shards(join(dir, 'program'))).to.deep.equal(shards(join(dir, 'cli')));
  });

  it('killed with SIGKILL after its first unit and started again, reuses that unit and writes the same shards', async () => {
    const out = join(dir, 'killed');
    const args = [
      'run',
      './pipeline.ts',
      '--input',
      'data/katas.jsonl',
      '--out',
      out,
      '--quiet',
      '--unit-size',
      '1',
    ];
    await killAfterFirstUnit([cli, ...args], out, { cwd: dir, ms: 30_000 });
    const again = spawnSync('node', [cli, ...args], { cwd: dir });
    expect(again.status).to.equal(0);
    expect(again.stderr.toString() + again.stdout.toString()).to.match(
      /units: 8 \([1-7] committed before, [1-7] worked now\)/,
    );
    run('--out', 'whole', '--unit-size', '1');
    expect(shards(out)).to.deep.equal(shards(join(dir, 'whole')));
  });

  it('runs as ranks, then merge, into the same shards as one process', () => {
    for (const r of [0, 1]) run('--out', `rank-${r}`, '--rank', String(r), '--world', '2', '--until', 'pair');
    execFileSync('node', [cli, 'merge', '--inputs', 'rank-0,rank-1', '--out', 'merged'], {
      cwd: dir,
      stdio: 'pipe',
    });
    expect(shards(join(dir, 'merged'))).to.deep.equal(shards(join(dir, 'cli')));
  });
});
