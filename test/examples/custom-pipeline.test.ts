import { expect } from 'chai';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, cpSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readManifest } from '../../lib/manifest.ts';
import { ROOT } from '../../lib/root.ts';
import { killAfterFirstUnit, tmp } from '../helpers.ts';

const EXAMPLE = join(ROOT, 'examples', 'custom-pipeline');

/** The shell commands of the example's README in order: its ```sh blocks, comments dropped. */
function readmeCommands(readme = readFileSync(join(EXAMPLE, 'README.md'), 'utf8')): string[] {
  return [...readme.matchAll(/```sh\n([\s\S]*?)```/g)]
    .flatMap((m) => m[1]!.split('\n'))
    .map((line) => line.replace(/\s+#.*$/, '').trim())
    .filter(Boolean);
}

// A user's shell: none of the variables of the npm that may run this test, no bin folder of this repository.
// Offline-friendly npm settings only: the cache npm ci filled answers first (a miss still asks the registry),
// and npx never downloads a package of the same name when the installed one is missing (it would, non-tty).
const ENV: NodeJS.ProcessEnv = {
  ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('npm_'))),
  PATH: process.env
    .PATH!.split(':')
    .filter((p) => !p.startsWith(ROOT))
    .join(':'),
  npm_config_prefer_offline: 'true',
  npm_config_audit: 'false',
  npm_config_fund: 'false',
  npm_config_yes: 'false',
};

/** Runs one README command in the project as a user would (bash); its stdout, or the failure with its output. */
function sh(dir: string, command: string): { stdout: string; stderr: string } {
  const r = spawnSync('bash', ['-c', command], { cwd: dir, env: ENV, encoding: 'utf8' });
  if (r.status !== 0)
    throw new Error(`\`${command}\` exited ${r.status}:\n${r.stderr.slice(-4000)}${r.stdout.slice(-2000)}`);
  return { stdout: r.stdout, stderr: r.stderr };
}

/**
 * The example as a project outside this repository meets StructFlow: `npm pack` (what `npm publish` would
 * ship) into a scratch copy of the example under the system's temporary folder, its package.json pointing at
 * the tarball instead of `../..`, then the README's commands as written, `npm install` first: the package and
 * its runtime dependencies come from the registry (through the npm cache), nothing from this repository's
 * node_modules. One stand-in: `setup-venv.sh` (the trainer's PyTorch .venv, minutes; `npm ci` runs the same
 * script in a checkout) becomes a link to this checkout's programs' packages, all the example's run uses.
 */
function install(): { dir: string; said: Map<string, { stdout: string; stderr: string }> } {
  const dir = tmp();
  chmodSync(dir, 0o755); // the sandbox's user (another uid) reads the package's programs' packages
  for (const f of readdirSync(EXAMPLE)) cpSync(join(EXAMPLE, f), join(dir, f), { recursive: true });
  const tarball = execFileSync('npm', ['pack', '--ignore-scripts', '--silent', '--pack-destination', dir], {
    cwd: ROOT,
    env: ENV,
  })
    .toString()
    .trim()
    .split('\n')
    .at(-1)!;
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
    dependencies: Record<string, string>;
  };
  pkg.dependencies.structflow = `file:./${tarball}`;
  writeFileSync(join(dir, 'package.json'), JSON.stringify(pkg, null, 2));
  const said = new Map<string, { stdout: string; stderr: string }>();
  for (const command of readmeCommands()) {
    if (command.includes('setup-venv.sh')) {
      symlinkSync(join(ROOT, '.sandbox-site'), join(dir, 'node_modules', 'structflow', '.sandbox-site'));
      continue;
    }
    said.set(command, sh(dir, command));
  }
  return { dir, said };
}

const shards = (out: string) => readManifest(out).shards.map((s) => s.sha256);

describe('examples/custom-pipeline: a project of its own installs the packed package and runs its README', function () {
  this.timeout(600_000);
  let dir: string;
  let cli: string;
  let said: Map<string, { stdout: string; stderr: string }>;
  const run = (...args: string[]) =>
    execFileSync('node', [cli, 'run', './pipeline.ts', '--input', 'data/katas.jsonl', '--quiet', ...args], {
      cwd: dir,
      stdio: 'pipe',
    }).toString();
  before(() => {
    ({ dir, said } = install());
    cli = join(dir, 'node_modules', 'structflow', 'bin', 'structflow.js');
  });

  it("the README's commands: npm install, doctor, the module's --help, a run through the CLI and the same from a program", () => {
    const help = said.get('npx structflow run ./pipeline.ts --help')!.stdout;
    expect(help).to.include('Usage: structflow run ./pipeline.ts --input PATH --out DIR [options]');
    expect(help).to.include('kata-blocks: block-level FIM pairs of katas up to a level');
    expect(help).to.include('--max-level N');
    expect(help).to.not.include('structurecoder');
    const m = readManifest(join(dir, 'out'));
    expect(m.pipeline).to.equal('kata-blocks');
    expect(m.rows).to.be.greaterThan(50);
    expect(m.counts.read!.in).to.equal(8); // the kata layout was detected from the rows
    expect(m.counts['max-level']).to.include({ in: 8, passed: 7, rejected: 1 });
    expect(m.counts['max-level']!.reasons).to.deep.equal({ too_hard: 1 });
    for (const s of ['format', 'label', 'split', 'fim', 'generate', 'check', 'pair'])
      expect(m.counts[s]!.out, s).to.be.greaterThan(0);
    // run.mjs passes quiet: its own line is all the program prints
    const program = said.get('node run.mjs data/katas.jsonl out-program')!;
    expect(program.stdout).to.equal(`${m.rows} rows in ${m.shards.length} shard(s) → out-program\n`);
    expect(program.stderr).to.equal('');
    expect(shards(join(dir, 'out-program'))).to.deep.equal(shards(join(dir, 'out')));
  });

  it('type-checks with skipLibCheck off (strict, nodenext), refuses a mis-ordered pipeline, and reaches nothing the exports do not allow', () => {
    const tsconfig = JSON.parse(readFileSync(join(dir, 'tsconfig.json'), 'utf8')) as {
      compilerOptions: Record<string, unknown>;
    };
    expect(tsconfig.compilerOptions).to.include({ strict: true, skipLibCheck: false, module: 'NodeNext' });
    // the pipeline with split before format (issue 40: it compiled, then rejected every record) must not compile
    const source = readFileSync(join(dir, 'pipeline.ts'), 'utf8');
    const splitLine = source.split('\n').find((l) => l.includes("name: 'split'"))!;
    const misOrdered = source
      .replace(`${splitLine}\n`, '')
      .replace('      formatStep(cfg),', `${splitLine}\n      formatStep(cfg),`)
      .replace(
        'export default definePipeline',
        '// @ts-expect-error steps_do_not_chain\nexport default definePipeline',
      );
    expect(misOrdered).to.not.equal(source);
    writeFileSync(join(dir, 'mis-ordered.ts'), misOrdered);
    // this repository's TypeScript, but the project's own node_modules: the published declarations, checked
    execFileSync('node', [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', dir], {
      stdio: 'pipe',
    });
    for (const f of readdirSync(dir).filter((f) => /\.(ts|mjs)$/.test(f) && f !== 'mis-ordered.ts')) {
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
    expect(shards(join(dir, 'merged'))).to.deep.equal(shards(join(dir, 'out')));
  });
});
