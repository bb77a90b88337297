import { expect } from 'chai';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadTokenizer } from '../../lib/generators/onnx.ts';
import { readManifest } from '../../lib/manifest.ts';
import { STDIO_INSTRUCTION } from '../../lib/code/prompts.ts';
import { buildExample, FormatDraws, type PairRow } from '../../lib/train/examples.ts';
import { exportedFormats, lossFor, torchPython, train } from '../../lib/train/trainer.ts';
import { FIXTURES, fixturePairShards, tmp } from '../helpers.ts';

const CLI = new URL('../../bin/structflow.js', import.meta.url).pathname;
const MODEL = join(FIXTURES, 'tiny-model');
const quiet = () => {};

/** Pairs to train on: the StructureCoder pipeline on the fixtures, once for the whole file. */
let shards: string;
before(function () {
  this.timeout(300_000);
  shards = fixturePairShards();
});

describe('train', function () {
  this.timeout(300_000);

  it('lowers the DPO loss and widens the reward margin on the fixture pairs (tiny model, CPU)', async () => {
    const out = tmp();
    const r = await train({ shards, model: MODEL, out, steps: 30, lr: 1e-3, batchSize: 8 }, quiet);
    expect(r.steps).to.have.length(30);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const first = r.steps.slice(0, 5);
    const last = r.steps.slice(-5);
    expect(mean(last.map((s) => s.loss))).to.be.below(mean(first.map((s) => s.loss)) / 2);
    expect(mean(last.map((s) => s.margin))).to.be.above(mean(first.map((s) => s.margin)));
    expect(r.plot).to.equal(join(out, 'metrics.png'));
    expect(readFileSync(join(out, 'metrics.png')).subarray(1, 4).toString()).to.equal('PNG');
  });

  it('counts the pairs it trained on, keeps a finished training of the same length, and trains again when asked', async () => {
    const out = tmp();
    const lines: string[] = [];
    const r = await train({ shards, model: MODEL, out, steps: 3, batchSize: 4 }, (l) => lines.push(l));
    expect(r.trained).to.equal(12); // 3 steps of 4 pairs, whatever the prefetch sent
    expect(r.sent).to.be.at.least(12);
    expect(lines.find((l) => l.startsWith('trained'))).to.match(
      /^trained 3 step\(s\) on 12 pair\(s\) \(dpo, preset structurecoder; /,
    );
    expect(lines).to.include(`model → ${join(out, 'model')} (${exportedFormats(MODEL)})`);
    const again: string[] = [];
    const kept = await train({ shards, model: MODEL, out, steps: 3, batchSize: 4 }, (l) => again.push(l));
    expect(kept).to.include({ kept: true, trained: 12 });
    expect(again).to.have.length(1);
    expect(again[0]).to.include('kept; --overwrite trains again');
    // another learning rate, batch size or base model is another training: refused, never passed off as kept
    const refused = (c: Partial<Parameters<typeof train>[0]>) =>
      train({ shards, model: MODEL, out, steps: 3, batchSize: 4, ...c }, quiet).then(
        () => 'trained',
        (e: Error) => e.message,
      );
    expect(await refused({ lr: 5e-2 })).to.match(
      /holds a finished training of other settings \(differ in lr\)/,
    );
    expect(await refused({ batchSize: 2 })).to.match(/differ in batch_size/);
    expect(await refused({ model: join(out, 'model') })).to.match(/differ in model/);
    const redone = await train({ shards, model: MODEL, out, steps: 3, batchSize: 4, overwrite: true }, quiet);
    expect(redone.kept).to.equal(undefined);
    expect(redone.checksum).to.equal(r.checksum); // the same training, done again
  });

  it('refuses an --out that is not empty and holds no training, before writing anything there', async () => {
    const out = tmp();
    writeFileSync(join(out, 'notes.txt'), 'mine');
    const err = await train({ shards, model: MODEL, out, steps: 1, batchSize: 4 }, quiet).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err?.message).to.match(/is not empty \(notes\.txt\) and holds no StructFlow output/);
    expect(readdirSync(out)).to.deep.equal(['notes.txt']);
  });

  it('takes the loss and preset from the pipeline that made the shards; a focal loss without D− lines is an error', () => {
    const m = (pipeline: string, spans: boolean) =>
      ({ pipeline, schema: spans ? [{ name: 'rejected_diff_lines', type: 'int32_list' }] : [] }) as never;
    expect(lossFor(m('targetdpo', true), { shards: 'td' })).to.deep.equal({
      loss: 'target-dpo',
      preset: 'targetdpo',
    });
    expect(lossFor(m('structurecoder', false), { shards: 'sc' })).to.deep.equal({
      loss: 'dpo',
      preset: 'structurecoder',
    });
    expect(lossFor(m('targetdpo', true), { shards: 'td', loss: 'dpo' })).to.include({ loss: 'dpo' });
    expect(() => lossFor(m('structurecoder', false), { shards: 'sc', loss: 'target-rpo' })).to.throw(
      /--loss target-rpo trains on the rejected side's D− lines, which sc does not have/,
    );
  });

  it('feeds the worker the pairs in manifest order, never shuffled', async () => {
    const out = tmp();
    const order = join(out, 'order.txt');
    const r = await train({ shards, model: MODEL, out, batchSize: 5, logOrder: order }, quiet);
    const got = readFileSync(order, 'utf8').trim().split('\n').map(Number);
    expect(r.dropped).to.equal(0);
    expect(got).to.deep.equal(Array.from({ length: readManifest(shards).rows }, (_, i) => i));
  });

  it('--steps beyond one pass reads the pairs again in the same order until that step, and says so', async () => {
    const small = join(tmp(), 'shards'); // 2 problems, one curriculum copy: a pass of a few steps
    execFileSync(
      'node',
      [
        ...[CLI, 'run', 'structurecoder', '--input', join(FIXTURES, 'apps.jsonl'), '--out', small],
        ...['--limit', '2', '--epochs', '1', '--test-timeout', '0.5', '--quiet'],
      ],
      { stdio: 'pipe' },
    );
    const rows = readManifest(small).rows;
    const onePass = Math.ceil(rows / 4);
    const steps = 2 * onePass + 1;
    const out = tmp();
    const order = join(out, 'order.txt');
    const lines: string[] = [];
    const r = await train({ shards: small, model: MODEL, out, steps, batchSize: 4, logOrder: order }, (l) =>
      lines.push(l),
    );
    expect(r.steps).to.have.length(steps);
    expect(r.dropped).to.equal(0);
    expect(lines[0]).to.equal(
      `--steps ${steps} is more than one pass over the shards (at most ${onePass} steps of 4 pairs): the pairs are read again from the first, in the same order`,
    );
    // stream positions go on across passes; modulo the rows, each pass is the manifest order again
    const got = readFileSync(order, 'utf8').trim().split('\n').map(Number).slice(0, r.trained);
    expect(got).to.deep.equal(Array.from({ length: r.trained }, (_, i) => i));
    expect(r.trained).to.be.above(2 * rows);
    const passes = (r.steps[steps - 1]!.position / rows).toFixed(2);
    expect(lines.find((l) => l.startsWith('trained'))).to.include(`; ${passes} passes over the shards)`);
  });

  it("the end message names what loads the exported folder: from_pretrained cannot load the tiny model's", () => {
    expect(exportedFormats(MODEL)).to.include('model.onnx for --generator onnx and eval --model-dir');
    expect(exportedFormats(MODEL)).to.include('from_pretrained and vLLM cannot load it');
    const tried = spawnSync(torchPython(), [
      '-c',
      'import sys; from transformers import AutoModelForCausalLM; AutoModelForCausalLM.from_pretrained(sys.argv[1])',
      MODEL,
    ]);
    expect(tried.status).to.not.equal(0); // no model_type in its config.json
    const hf = tmp(); // a folder without model.pt
    expect(exportedFormats(hf)).to.equal(
      "as save_pretrained writes it: transformers' from_pretrained and vLLM load it",
    );
  });

  it('gives tokens outside the loss mask exactly zero gradient', () => {
    expect(
      execFileSync(torchPython(), [join(FIXTURES, '..', 'test', 'python', 'mask_grad.py')])
        .toString()
        .trim(),
    ).to.equal('ok');
  });

  it('resumes after kill -9 at the exact next pair, ending with the same parameters as an uninterrupted run', async () => {
    const common = [
      '--shards',
      shards,
      '--model',
      MODEL,
      '--steps',
      '16',
      '--lr',
      '1e-3',
      '--batch-size',
      '4',
      '--checkpoint-every',
      '3',
    ];
    const whole = await train(
      { shards, model: MODEL, out: tmp(), steps: 16, lr: 1e-3, batchSize: 4, checkpointEvery: 3 },
      quiet,
    );
    const out = tmp();
    // start a run, kill it (and its worker) once it has checkpointed, then resume it
    const child = spawn('node', [CLI, 'train', ...common, '--out', out], {
      detached: true,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    await new Promise<void>((resolve) => {
      let seen = '';
      child.stderr.on('data', (d: Buffer) => {
        seen += d.toString();
        if (/step 7\//.test(seen)) resolve();
      });
    });
    process.kill(-child.pid!, 'SIGKILL');
    await new Promise((r) => child.on('exit', r));
    const resumed = await train(
      { shards, model: MODEL, out, steps: 16, lr: 1e-3, batchSize: 4, checkpointEvery: 3, resume: true },
      quiet,
    );
    expect(resumed.steps[0]!.step).to.be.within(4, 8); // it did continue, not start over
    expect(resumed.checksum).to.equal(whole.checksum);
  });
});

describe('training examples', () => {
  const tok = loadTokenizer(MODEL);
  const row: PairRow = {
    kind: 'fim',
    question: 'Add.',
    test_kind: 'stdio',
    starter_code: '',
    prefix: 'a = 1\n',
    suffix: '\nprint(b)\n',
    chosen_middle: 'if a:\n    b = 2',
    rejected_middle: 'if a:\n    b = 3',
  };
  const opts = {
    fimRate: 0.5,
    seed: 0,
    maxLen: 2048,
    instructionAlways: false,
    focal: false,
    family: 'qwen',
  };

  it('draws FIM or chat reproducibly for a seed, and always chat for full pairs', () => {
    const draw = (seed: number) => {
      const d = new FormatDraws(0.5, seed);
      return Array.from({ length: 200 }, (_, i) => d.next(i % 10 === 0 ? 'full' : 'fim'));
    };
    expect(draw(3)).to.deep.equal(draw(3));
    expect(draw(3)).to.not.deep.equal(draw(4));
    expect(draw(3).filter((f, i) => i % 10 === 0 && f !== 'chat')).to.deep.equal([]);
    const fim = draw(3).filter((f, i) => i % 10 !== 0 && f === 'fim').length / 180;
    expect(fim).to.be.within(0.35, 0.65);
  });

  it('counts only the response (with the end token for FIM), and appends the stdin instruction to stdio questions', () => {
    const ex = buildExample(row, 'fim', tok, opts)!;
    const response = tok.decode(ex.chosen.ids.filter((_, i) => ex.chosen.mask[i]));
    expect(response).to.equal('if a:\n    b = 2<|endoftext|>');
    const context = tok.decode(ex.chosen.ids.filter((_, i) => !ex.chosen.mask[i]));
    expect(context).to.equal(
      `<|fim_prefix|># Add.\n# ${STDIO_INSTRUCTION}\n\na = 1\n<|fim_suffix|>\nprint(b)\n<|fim_middle|>`,
    );
    const chat = buildExample({ ...row, test_kind: 'call' }, 'chat', tok, opts)!;
    expect(tok.decode(chat.rejected.ids.filter((_, i) => chat.rejected.mask[i]))).to.equal(
      'if a:\n    b = 3',
    );
    expect(tok.decode(chat.rejected.ids.filter((_, i) => !chat.rejected.mask[i]))).to.match(
      /user\nAdd\.<\|im_end\|>[\s\S]*```python\na = 1\n$/,
    );
  });

  it('for Target-DPO counts only the rejected tokens on D− lines, and drops over-long pairs', () => {
    const focal = {
      ...row,
      chosen_middle: 'x = 1\ny = 2\nz = 3',
      rejected_middle: 'x = 1\ny = 5\nz = 3',
      rejected_diff_lines: [2],
    };
    const ex = buildExample(focal, 'chat', tok, { ...opts, focal: true })!;
    expect(tok.decode(ex.rejected.ids.filter((_, i) => ex.rejected.mask[i]))).to.equal('y = 5\n');
    expect(tok.decode(ex.chosen.ids.filter((_, i) => ex.chosen.mask[i]))).to.equal('x = 1\ny = 2\nz = 3');
    expect(buildExample(row, 'fim', tok, { ...opts, maxLen: 10 })).to.equal(undefined);
  });
});

describe('train on several ranks', function () {
  this.timeout(300_000);

  it('runs the worker as two DDP ranks (as torchrun starts them): each takes an interleaved slice of one ordered stream', async () => {
    const out = tmp();
    const file = join(out, 'batches.bin');
    const { exportBatches } = await import('../../lib/train/trainer.ts');
    const { sent } = await exportBatches({ shards, model: MODEL, out, batchSize: 8 }, file);
    const order = join(out, 'order.txt');
    const worker = join(FIXTURES, '..', 'python', 'train_worker.py');
    // what torchrun does: one process per rank with RANK/WORLD_SIZE/MASTER_* set (Debian's torch 1.13
    // torchrun itself fails under Python 3.11, so the test starts the ranks the same way by hand)
    const port = String(29_500 + (process.pid % 1000));
    const args = [
      '--input',
      file,
      '--model',
      MODEL,
      '--out',
      out,
      '--total-steps',
      '6',
      '--lr',
      '1e-3',
      '--log-order',
      order,
    ];
    const env = {
      ...process.env,
      OMP_NUM_THREADS: '1',
      WORLD_SIZE: '2',
      MASTER_ADDR: '127.0.0.1',
      MASTER_PORT: port,
    };
    const ranks = [0, 1].map((rank) =>
      spawn(torchPython(), [worker, ...args], {
        env: { ...env, RANK: String(rank), LOCAL_RANK: String(rank) },
        stdio: ['ignore', 'pipe', 'inherit'],
      }),
    );
    let run = '';
    ranks[0]!.stdout!.on('data', (d: Buffer) => (run += d.toString()));
    const codes = await Promise.all(ranks.map((p) => new Promise<number | null>((r) => p.on('exit', r))));
    expect(codes).to.deep.equal([0, 0]);
    const events = run
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { event: string; step: number });
    expect(events.filter((e) => e.event === 'step').map((e) => e.step)).to.deep.equal([1, 2, 3, 4, 5, 6]);
    expect(events.at(-1)!.event).to.equal('done');
    const got = readFileSync(order, 'utf8').trim().split('\n').map(Number);
    expect(got).to.deep.equal(Array.from({ length: Math.min(sent, 48) }, (_, i) => i)); // 6 steps × 8 pairs, in order
  });
});
