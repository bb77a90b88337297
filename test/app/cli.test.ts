import { expect } from 'chai';
import { spawn, spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { once } from 'node:events';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { constants, gunzipSync, gzipSync } from 'node:zlib';
import { readManifest } from '../../lib/manifest.ts';
import { ROOT } from '../../lib/root.ts';
import { FIXTURES, fixturePairShards, PYTHON, tmp } from '../helpers.ts';

const CLI = join(ROOT, 'bin', 'structflow.js');
const sf = (...args: string[]) => spawnSync('node', [CLI, ...args], { encoding: 'utf8' });

/** A copy of the tiny model in a temporary folder, less its model.onnx. */
function withoutModelFile() {
  const dir = tmp();
  const model = join(dir, 'model');
  cpSync(join(FIXTURES, 'tiny-model'), model, { recursive: true });
  rmSync(join(model, 'model.onnx'));
  return { dir, model };
}

/** Commands that ask the local model in `model`: eval, the StructureCoder run up to its checked candidates
 *  (the tiny model never writes a right block, so no pairs), and Target-DPO's refinement. */
const modelCommands = (model: string, out: string) => {
  const common = ['--out', out, '--model-dir', model, '--quiet'];
  const apps = ['--input', join(FIXTURES, 'apps.jsonl'), '--limit', '2', '--generator', 'onnx', ...common];
  return [
    ['eval', '--input', join(FIXTURES, 'humaneval.jsonl'), '--max-tokens', '4', ...common],
    ['run', 'structurecoder', '--until', 'check', ...apps],
    ['run', 'targetdpo', ...apps],
  ];
};

describe('structflow (the compiled CLI)', function () {
  this.timeout(120_000);

  it('every command has its own --help and -h, from its option table', () => {
    for (const cmd of ['run', 'merge', 'train', 'ref-logps', 'blocks']) {
      for (const flag of ['--help', '-h']) {
        const r = sf(cmd, flag);
        expect(r.status, `${cmd} ${flag}: ${r.stderr}`).to.equal(0);
        expect(r.stdout).to.match(new RegExp(`^Usage: structflow ${cmd}`));
      }
    }
    expect(sf('train', '--help').stdout)
      .to.include('--checkpoint-every N')
      .and.include('learning rate (default 0.000001)');
    expect(sf('help').stdout).to.include('ref-logps');
  });

  it("docs/cli.md's option block is what `structflow run --help` prints", () => {
    const readme = readFileSync(join(ROOT, 'docs', 'cli.md'), 'utf8');
    const block = /<!-- help:run -->\n```\n([\s\S]*?)```\n<!-- \/help -->/.exec(readme);
    expect(block, 'the help:run block in docs/cli.md').to.not.equal(null);
    expect(block![1]).to.equal(sf('run', '--help').stdout);
  });

  it("every help fits 100 columns off a terminal, and the terminal's own width on one", () => {
    const commands = ['', 'run', 'slurm', 'eval', 'train', 'merge', 'blocks', 'doctor', 'ref-logps'];
    for (const c of commands) {
      const text = sf(...(c ? [c] : []), '--help').stdout;
      const wide = text.split('\n').filter((l) => [...l].length > 100);
      expect(wide, `structflow ${c} --help`).to.deep.equal([]);
    }
    // a pseudo-terminal of 72 columns (script(1) gives the command a terminal)
    const r = spawnSync('script', ['-qec', `stty cols 72; node ${CLI} run --help`, '/dev/null'], {
      encoding: 'utf8',
    });
    const lines = r.stdout.split(/\r?\n/).filter((l) => l.trim());
    expect(lines.length).to.be.above(40);
    expect(lines.filter((l) => [...l].length > 72)).to.deep.equal([]);
  });

  it('a mistake exits 2 with the reason and a short usage line, not the whole help', () => {
    const r = sf('run', 'structurecoder', '--input', 'x', '--out', tmp(), '--epochs', 'three');
    expect(r.status).to.equal(2);
    expect(r.stderr).to.include('--epochs must be an integer ≥ 1, got "three"');
    expect(r.stderr.split('\n').length).to.be.below(5);
    const missing = sf('run', 'structurecoder', '--out', tmp());
    expect(missing.status).to.equal(2);
    expect(missing.stderr).to.include('--input is required');
    expect(sf('run', 'nosuch', '--input', 'x', '--out', 'y').stderr).to.include(
      'available: structurecoder, targetdpo',
    );
    const typo = sf('run', 'structurecoder', '--input', 'x', '--out', tmp(), '--epoch', '2');
    expect(typo.status).to.equal(2);
    expect(typo.stderr).to.include('unknown option --epoch.').and.include('Did you mean --epochs?');
    expect(sf('train', '--shards', 'x', '--model', 'y', '--out', 'z', '--batchsize', '2').stderr).to.include(
      'Did you mean --batch-size?',
    );
  });

  it("a misspelt option, pipeline or command gets one reason and a guess, not Node's advice about '--'", () => {
    const typo = sf('run', 'structurecoder', '--inptu', 'x', '--out', 'y');
    expect(typo.status).to.equal(2);
    expect(typo.stderr.split('\n')[0]).to.equal('structflow: unknown option --inptu. Did you mean --input?');
    expect(typo.stderr).to.not.include('positional argument');
    expect(typo.stderr.trim().split('\n')).to.have.length(2); // and the usage line
    const noName = sf('run', '--input', 'x', '--out', 'y');
    expect(noName.status).to.equal(2);
    expect(noName.stderr)
      .to.include('the pipeline name is missing')
      .and.include('available: structurecoder, targetdpo')
      .and.not.include('unknown pipeline');
    const pipeline = sf('run', 'structurcoder', '--input', 'x', '--out', 'y');
    expect(pipeline.status).to.equal(2);
    expect(pipeline.stderr)
      .to.include('unknown pipeline "structurcoder"')
      .and.include('Did you mean structurecoder?');
    const command = sf('trian');
    expect(command.status).to.equal(2);
    expect(command.stderr.trim().split('\n')).to.deep.equal([
      'structflow: unknown command "trian". Did you mean train?',
      'usage: structflow COMMAND [options]  (structflow help for the commands)',
    ]);
    // a value left out is said as the project says everything else
    const bare = sf('run', 'structurecoder', '--input', 'x', '--out');
    expect([bare.status, bare.stderr.split('\n')[0]]).to.deep.equal([2, 'structflow: --out needs a value']);
  });

  it('a missing required option is said in a whole sentence, not cut at the end of its help line', () => {
    const r = sf('run', 'structurecoder', '--out', tmp());
    expect(r.status).to.equal(2);
    expect(r.stderr).to.include('or an APPS folder; comma-separated for several\n');
  });

  it('a missing model folder, or one without tokenizer.json, is named before anything is written', () => {
    const dir = tmp();
    const out = join(dir, 'out');
    const shards = fixturePairShards();
    const nope = join(dir, 'nope');
    const r = sf('train', '--shards', shards, '--model', nope, '--out', out);
    expect(r.status).to.equal(1);
    expect(r.stderr).to.include(`model folder not found: ${nope}`).and.not.include('ENOENT');
    const empty = sf('train', '--shards', shards, '--model', dir, '--out', out);
    expect(empty.stderr).to.include(`model folder ${dir} has no tokenizer.json`);
    expect(existsSync(out)).to.equal(false);
  });

  it('an input that is not a dataset file (README.md, a .parquet that is not Parquet) stops before the output folder exists', () => {
    const dir = tmp();
    const out = join(dir, 'out');
    const readme = join(ROOT, 'README.md');
    const r = sf('run', 'structurecoder', '--input', readme, '--out', out);
    expect(r.status).to.equal(1);
    expect(r.stderr)
      .to.include(`${readme} is not a dataset file: its first line is not a JSON object`)
      .and.include('--input takes .jsonl, .jsonl.gz, .json, .parquet or .arrow files')
      .and.not.include('unreadable_row');
    const fake = join(dir, 'rows.parquet');
    writeFileSync(fake, readFileSync(join(FIXTURES, 'apps.jsonl')));
    const p = sf('run', 'structurecoder', '--input', fake, '--out', out);
    expect(p.status).to.equal(1);
    expect(p.stderr).to.include(`${fake} is not a dataset file: not a readable Parquet file`);
    expect(existsSync(out)).to.equal(false);
  });

  it('missing files and broken code are named: no raw ENOENT, no empty output folder left behind', () => {
    const dir = tmp();
    const out = join(dir, 'never');
    const r = sf('run', 'structurecoder', '--input', join(dir, 'nope.jsonl'), '--out', out);
    expect(r.status).to.equal(1);
    expect(r.stderr).to.include(`input not found: ${join(dir, 'nope.jsonl')}`);
    expect(existsSync(out)).to.equal(false);
    expect(sf('train', '--shards', dir, '--model', 'm', '--out', join(dir, 't')).stderr).to.include(
      `${dir} has no manifest.json: not the output folder of a finished StructFlow run`,
    );
    expect(sf('merge', '--inputs', `${dir},${dir}`, '--out', join(dir, 'm')).stderr).to.include(
      'has no manifest.json',
    );
    expect(sf('blocks', join(dir, 'missing.py')).stderr).to.include(
      `blocks: no such file: ${join(dir, 'missing.py')}`,
    );
    const bad = join(dir, 'bad.py');
    writeFileSync(bad, 'def f(x):\n    return (x +\n');
    const b = sf('blocks', bad);
    expect(b.status).to.equal(1);
    expect(b.stderr).to.match(new RegExp(`${bad}: syntax error at line \\d+, column \\d+`));
  });

  it('a model folder without model.onnx stops eval and run before any work, naming the file and the fix', () => {
    const { dir, model } = withoutModelFile();
    const out = join(dir, 'out');
    for (const args of modelCommands(model, out)) {
      const r = sf(...args);
      expect(r.status, r.stderr).to.equal(1);
      expect(r.stderr).to.equal(
        `structflow: model folder ${model} has no model.onnx; ` +
          '--model-dir must hold the model exported to ONNX (model.onnx) and its tokenizer.json\n',
      );
      expect(existsSync(out)).to.equal(false); // no unit committed, nothing cached
    }
  });

  it('with model.onnx copied in after that failure, the same commands without --overwrite give the rows of a run that never failed', () => {
    const { dir, model } = withoutModelFile();
    const out = join(dir, 'out');
    const failed = modelCommands(model, out).slice(0, 2);
    for (const args of failed) expect(sf(...args).status).to.equal(1);
    cpSync(join(FIXTURES, 'tiny-model', 'model.onnx'), join(model, 'model.onnx'));
    const clean = modelCommands(model, join(dir, 'clean')).slice(0, 2);
    for (const [k, args] of failed.entries()) {
      const again = sf(...args);
      expect(again.status, again.stderr).to.equal(0);
      expect(again.stderr).to.include('units: 1 (0 committed before, 1 worked now)');
      const whole = sf(...clean[k]!);
      expect(whole.status, whole.stderr).to.equal(0);
      const m = readManifest(out);
      expect(m.rows).to.be.greaterThan(0);
      expect(m.shards.map((s) => s.sha256)).to.deep.equal(
        readManifest(join(dir, 'clean')).shards.map((s) => s.sha256),
      );
      expect(m.counts).to.deep.equal(readManifest(join(dir, 'clean')).counts);
      rmSync(out, { recursive: true });
      rmSync(join(dir, 'clean'), { recursive: true });
    }
  });

  it('a model retrained into the same folder is another model: its eval is not the old one, nor its samples', () => {
    const dir = tmp();
    const model = join(dir, 'model');
    cpSync(join(FIXTURES, 'tiny-model'), model, { recursive: true });
    const out = join(dir, 'eval');
    const evalArgs = [
      'eval',
      '--input',
      join(FIXTURES, 'humaneval.jsonl'),
      '--out',
      out,
      '--model-dir',
      model,
    ];
    const first = sf(...evalArgs, '--max-tokens', '4');
    expect(first.status, first.stderr).to.equal(0);
    // as `structflow train --out` writes a model again: other weights in the same files
    writeFileSync(join(model, 'config.json'), readFileSync(join(model, 'config.json'), 'utf8') + '\n');
    const again = sf(...evalArgs, '--max-tokens', '4');
    expect(again.status).to.equal(1);
    expect(again.stderr).to.match(/other settings \(differ in model_files\)/);
    const redone = sf(...evalArgs, '--max-tokens', '4', '--overwrite');
    expect(redone.status, redone.stderr).to.equal(0);
    expect(redone.stderr).to.match(/generations \d+ entries, 0 of \d+ lookups hit/);
  });

  it('an OpenAI-compatible server that does not answer stops eval and run before any work, naming its URL', async () => {
    // a port that was free a moment ago: nothing listens there, so every connection is refused
    const server = createServer().listen(0, '127.0.0.1');
    await once(server, 'listening');
    const port = (server.address() as AddressInfo).port;
    server.close();
    const dir = tmp();
    const out = join(dir, 'out');
    const openai = ['--generator', 'openai', '--base-url', `http://127.0.0.1:${port}`, '--model', 'm'];
    for (const args of [
      ['run', 'structurecoder', '--input', join(FIXTURES, 'apps.jsonl'), '--out', out, '--quiet', ...openai],
      ['eval', '--input', join(FIXTURES, 'humaneval.jsonl'), '--out', out, '--quiet', ...openai],
    ]) {
      const r = sf(...args);
      expect(r.status, r.stderr).to.equal(1);
      expect(r.stderr).to.equal(
        `structflow: http://127.0.0.1:${port}/v1/models did not answer (connection failed: ECONNREFUSED): ` +
          'start the server, or point --base-url at it\n',
      );
      expect(existsSync(out)).to.equal(false); // no unit committed
    }
  });

  it('what a step needs is checked before the run starts (doctor says the same): a missing bubblewrap', () => {
    const dir = tmp();
    const bin = join(dir, 'bin'); // a PATH with Python but no bwrap
    mkdirSync(bin);
    symlinkSync(PYTHON, join(bin, 'python3'));
    const env = { ...process.env, PATH: bin };
    const out = join(dir, 'out');
    const args = ['run', 'structurecoder', '--input', join(FIXTURES, 'apps.jsonl'), '--out', out];
    const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env });
    expect(r.status).to.equal(1);
    expect(r.stderr).to.include(
      'the sandbox needs bubblewrap (bwrap), which is not installed: apt-get install bubblewrap',
    );
    expect(existsSync(out)).to.equal(false); // nothing started
    expect(
      spawnSync(process.execPath, [CLI, ...args, '--until', 'format', '--quiet'], { env }).status,
    ).to.equal(0); // no sandbox step, no need
    const doctor = spawnSync(process.execPath, [CLI, 'doctor', 'run'], { encoding: 'utf8', env });
    expect(doctor.status).to.equal(1);
    expect(doctor.stderr)
      .to.include('missing  run: bubblewrap (the sandbox)')
      .and.include('apt-get install bubblewrap');
    const here = sf('doctor');
    expect(here.status, here.stderr).to.equal(0); // this machine has all of it
  });

  it('a trainer Python without PyTorch or transformers is named before training starts, with the command that makes the venv', () => {
    const env = { ...process.env, STRUCTFLOW_TORCH_PYTHON: PYTHON }; // the system Python: no transformers here
    const doctor = spawnSync(process.execPath, [CLI, 'doctor', 'train'], { encoding: 'utf8', env });
    expect(doctor.status).to.equal(1);
    expect(doctor.stderr).to.match(/missing {2}train: PyTorch .*missing (torch|transformers|matplotlib)/s);
    expect(doctor.stderr).to.include('bash python/setup-venv.sh');
    const out = join(tmp(), 'out');
    const r = spawnSync(
      process.execPath,
      [CLI, 'train', '--shards', fixturePairShards(), '--model', join(FIXTURES, 'tiny-model'), '--out', out],
      { encoding: 'utf8', env },
    );
    expect(r.status).to.equal(1);
    expect(r.stderr).to.include(`no Python for the trainer worker (${PYTHON}: missing`);
    expect(existsSync(out)).to.equal(false); // nothing started
  });

  it('on a terminal (a pseudo-terminal from script), progress shows rows done of the total, the share and the ETA, and the end says where the report is', () => {
    const out = join(tmp(), 'out');
    // through check, so that the run outlasts the first redraw (a second) on a fast machine too
    const cmd = `node ${CLI} run structurecoder --input ${join(FIXTURES, 'apps.jsonl')} --out ${out} --until check --n 1`;
    const r = spawnSync('script', ['-qec', cmd, '/dev/null'], {
      encoding: 'utf8',
      env: { ...process.env, COLUMNS: '200' },
    });
    expect(r.status, r.stderr).to.equal(0);
    const frames = r.stdout.split('\r').filter((f) => f.includes(' rows done ('));
    expect(frames.length).to.be.greaterThan(0); // rewritten in place, once a second
    expect(frames[0]).to.match(/\[\d+s\] \d+\/35 rows done \(\d+ %, ETA [\d?]/);
    // the share is of rows the pipeline is through with: it reaches 100 % only at the end
    const shares = frames.map((f) => Number(/\((\d+) %/.exec(f)![1]));
    expect(shares.filter((p) => p === 100).length, shares.join(' ')).to.be.at.most(2);
    expect(r.stdout).to.include(`report: ${out}/report.html`);
    // the progress line is cleared before the summary, which starts a line of its own
    expect(r.stdout).to.include('\r\x1b[Kstage ');
  });

  it('--limit N works on the first N input rows, and a rerun with another limit reuses the units they share', () => {
    const out = join(tmp(), 'out');
    const run = (...extra: string[]) =>
      sf(
        'run',
        'structurecoder',
        '--input',
        join(FIXTURES, 'apps.jsonl'),
        '--out',
        out,
        '--until',
        'format',
        '--quiet',
        '--unit-size',
        '4',
        ...extra,
      );
    const three = run('--limit', '3');
    expect(three.status, three.stderr).to.equal(0);
    const m = readManifest(out);
    expect(m.counts.read!.in).to.equal(3);
    expect(m.config.limit).to.equal(3);
    const five = run('--limit', '5');
    expect(five.status, five.stderr).to.equal(0);
    expect(readManifest(out).counts.read!.in).to.equal(5);
    // rows 0-2 were committed; row 3 finishes the unit of 4, row 4 starts the next
    const units = (JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as { units: unknown }).units;
    expect(units).to.deep.equal({ total: 3, reused: 1, worked: 2 });
    expect(run('--limit', '0').status).to.equal(2); // at least one row
  });

  it('a cut-off .jsonl.gz stops the run (exit 1) naming the file, the lines kept and lost; --allow-partial-input goes on with them', () => {
    const dir = tmp();
    const gz = gzipSync(readFileSync(join(FIXTURES, 'apps.jsonl')));
    const input = join(dir, 'apps.jsonl.gz');
    writeFileSync(input, gz.subarray(0, Math.floor(gz.length * 0.6)));
    const complete =
      gunzipSync(readFileSync(input), { finishFlush: constants.Z_SYNC_FLUSH }).toString().split('\n').length -
      1;
    const out = join(dir, 'out');
    const run = (...extra: string[]) =>
      sf('run', 'structurecoder', '--input', input, '--out', out, '--until', 'format', '--quiet', ...extra);
    const stopped = run();
    expect(stopped.status).to.equal(1);
    expect(stopped.stderr).to.include(`structflow: ${input} is damaged within its first`);
    expect(stopped.stderr).to.include(`the ${complete} complete lines before the damage were read`);
    expect(stopped.stderr).to.include(`line ${complete + 1} and every row after it are lost`);
    expect(stopped.stderr).to.include('--allow-partial-input');
    expect(existsSync(join(out, 'manifest.json'))).to.equal(false);
    const partial = run('--allow-partial-input');
    expect(partial.status, partial.stderr).to.equal(0);
    expect(partial.stderr).to.include(`structflow: warning: ${input} is damaged`);
    const read = readManifest(out).counts.read!;
    expect(read.passed).to.equal(complete);
    expect(read.reasons).to.deep.equal({ damaged_file: 1 });
  });

  it('--out into a folder that is not empty and not a StructFlow output is refused, and left as it was', () => {
    const out = tmp();
    writeFileSync(join(out, 'rejects.jsonl'), 'mine\n');
    const r = sf('run', 'structurecoder', '--input', join(FIXTURES, 'apps.jsonl'), '--out', out, '--quiet');
    expect(r.status).to.equal(1);
    expect(r.stderr).to.include(`${out} is not empty (rejects.jsonl) and holds no StructFlow output`);
    expect(readdirSync(out)).to.deep.equal(['rejects.jsonl']);
    expect(readFileSync(join(out, 'rejects.jsonl'), 'utf8')).to.equal('mine\n');
    // a file as --out is said as such, not as Node's ENOTDIR
    const file = join(tmp(), 'notes.txt');
    writeFileSync(file, 'mine');
    const onFile = sf(
      'run',
      'structurecoder',
      '--input',
      join(FIXTURES, 'apps.jsonl'),
      '--out',
      file,
      '--quiet',
    );
    expect([onFile.status, onFile.stderr]).to.deep.equal([
      1,
      `structflow: ${file} is a file, not a folder; --out takes a new or empty folder, or one a run wrote\n`,
    ]);
    expect(readFileSync(file, 'utf8')).to.equal('mine');
  });

  it('Ctrl-C (SIGINT) during a run exits 130 saying what was committed and the command that resumes it', async () => {
    const out = join(tmp(), 'out');
    const args = [CLI, 'run', 'structurecoder', '--input', join(FIXTURES, 'apps.jsonl'), '--out', out];
    const child = spawn(process.execPath, [...args, '--until', 'label', '--unit-size', '2', '--overwrite'], {
      cwd: ROOT,
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const parts = join(out, 'parts');
    const committed = () =>
      existsSync(parts) ? readdirSync(parts).filter((f) => f.endsWith('.done.json')) : [];
    for (let i = 0; i < 600 && committed().length === 0; i++) await new Promise((r) => setTimeout(r, 100));
    expect(committed().length, stderr).to.be.greaterThan(0);
    const exited = once(child, 'exit');
    child.kill('SIGINT');
    const [code] = (await exited) as [number | null];
    expect(code, stderr).to.equal(130);
    const n = committed().length;
    expect(n).to.be.lessThan(18); // stopped before the 18 units of the 35 rows were all done
    expect(stderr).to.include(
      `structflow: interrupted; ${n} unit(s) committed in ${out} (0 before this run, ${n} by it)`,
    );
    const resume = /resume \(committed units are reused\): (.*)/.exec(stderr)?.[1];
    expect(resume).to.equal(
      `node bin/structflow.js run structurecoder --input ${join(FIXTURES, 'apps.jsonl')} --out ${out} --until label --unit-size 2`,
    ); // --overwrite would discard what this run committed
    const again = spawnSync('bash', ['-c', `${resume} --quiet`], { cwd: ROOT, encoding: 'utf8' });
    expect(again.status, again.stderr).to.equal(0);
    expect(again.stderr).to.include(`units: 18 (${n} committed before, ${18 - n} worked now)`);
  });

  it('a run that produced nothing exits 1 and says why, instead of a quiet success', () => {
    const dir = tmp();
    const junk = join(dir, 'junk.jsonl');
    writeFileSync(junk, 'not json\n{"broken": \n\u0000\n');
    const r = sf(
      'run',
      'structurecoder',
      '--input',
      junk,
      '--out',
      join(dir, 'out'),
      '--quiet',
      '--input-format',
      'apps',
    );
    expect(r.status).to.equal(1);
    expect(r.stderr).to.match(/the run produced no rows: 3 × read: unreadable_row \(see .*rejects\.jsonl\)/);
  });

  it('a final-step setting (--epochs, --rows-per-shard) changes without --overwrite and without rework', () => {
    const dir = tmp();
    const input = join(dir, 'five.jsonl');
    const rows = readFileSync(join(FIXTURES, 'apps.jsonl'), 'utf8').trim().split('\n').slice(0, 5);
    writeFileSync(input, rows.join('\n') + '\n');
    const out = join(dir, 'out');
    const run = (...extra: string[]) => {
      const r = sf('run', 'structurecoder', '--input', input, '--out', out, '--quiet', ...extra);
      expect(r.status, r.stderr).to.equal(0);
      return { m: readManifest(out), log: r.stderr };
    };
    const three = run();
    const two = run('--epochs', '2', '--rows-per-shard', '7');
    expect(two.log).to.include('units: 1 (1 committed before, 0 worked now)');
    expect(two.m.rows * 3).to.equal(three.m.rows * 2);
    expect(two.m.shards.every((s) => s.rows <= 7)).to.equal(true);
    const other = sf('run', 'structurecoder', '--input', input, '--out', out, '--quiet', '--max-words', '10');
    expect(other.status).to.equal(1); // a setting that changes the records does need --overwrite
    expect(other.stderr).to.include('--overwrite');
  });
});
