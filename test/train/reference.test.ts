import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { loadTokenizer } from '../../lib/generators/onnx.ts';
import { readManifest } from '../../lib/manifest.ts';
import { buildExample, type PairRow } from '../../lib/train/examples.ts';
import { onnxLogp, precomputeReference, REF_COLUMNS, refEngine } from '../../lib/train/reference.ts';
import { torchPython, train } from '../../lib/train/trainer.ts';
import { FIXTURES, fixturePairShards, readParquetFile, readShardRows, tmp } from '../helpers.ts';

const MODEL = join(FIXTURES, 'tiny-model');
const opts = { fimRate: 0, seed: 0, maxLen: 2048, instructionAlways: false, focal: false, family: 'qwen' };

let small: string | undefined;
/** `--trl pretokenized` pairs of a few problems of both test kinds: keeps the reference passes short. */
function smallShards(): string {
  if (small) return small;
  const dir = tmp();
  const input = join(dir, 'some.jsonl');
  const lines = readFileSync(join(FIXTURES, 'apps.jsonl'), 'utf8').trim().split('\n');
  writeFileSync(input, [...lines.slice(0, 4), ...lines.slice(-4)].join('\n') + '\n');
  execFileSync(
    'node',
    [
      join(FIXTURES, '..', 'bin', 'structflow.js'),
      ...['run', 'structurecoder', '--input', input, '--out', join(dir, 'pre')],
      ...['--test-timeout', '0.5', '--quiet', '--trl', 'pretokenized', '--trl-tokenizer', MODEL],
    ],
    { stdio: 'pipe' },
  );
  return (small = join(dir, 'pre'));
}

describe('reference log-probs from ONNX', function () {
  this.timeout(300_000);
  let shards: string;
  before(() => {
    shards = fixturePairShards();
  });

  it('agree with the PyTorch reference within 1e-4 on the tiny model', async () => {
    const rows = (await readParquetFile(join(shards, readManifest(shards).shards[0]!.file))).slice(
      0,
      12,
    ) as unknown as PairRow[];
    const tok = loadTokenizer(MODEL);
    const session = await ort.InferenceSession.create(join(MODEL, 'model.onnx'));
    const sides = rows.flatMap((r) => {
      const ex = buildExample(r, r.kind === 'full' ? 'chat' : 'fim', tok, opts)!;
      return [ex.chosen, ex.rejected];
    });
    const ours = await Promise.all(sides.map((s) => onnxLogp(session, s)));
    const script = [
      'import json, sys, torch',
      `sys.path.insert(0, ${JSON.stringify(join(FIXTURES, '..', 'python'))})`,
      'import tiny_model',
      'from dpo import sequence_logps',
      `m = tiny_model.load(${JSON.stringify(MODEL)}).eval()`,
      'out = []',
      'for s in json.load(sys.stdin):',
      '    with torch.no_grad():',
      '        lp, _ = sequence_logps(m, torch.tensor([s["ids"]]), torch.tensor([s["mask"]]))',
      '    out.append(lp.item())',
      'print(json.dumps(out))',
    ].join('\n');
    const theirs = JSON.parse(
      execFileSync(torchPython(), ['-c', script], { input: JSON.stringify(sides) }).toString(),
    ) as number[];
    const worst = Math.max(
      ...ours.map((x, i) => Math.abs(x - theirs[i]!) / Math.max(1, Math.abs(theirs[i]!))),
    );
    expect(worst).to.be.below(1e-4);
  });

  it('are stored as shard columns that the trainer hands to the worker, which then loads no reference model', async () => {
    const withRefs = tmp();
    const n = await precomputeReference(shards, MODEL, withRefs, {
      maxLen: 2048,
      instructionAlways: false,
      focal: false,
      family: 'qwen',
    });
    const m = readManifest(withRefs);
    expect(n).to.equal(readManifest(shards).rows);
    expect(m.schema.map((c) => c.name)).to.include.members([
      'ref_chosen_fim',
      'ref_rejected_fim',
      'ref_chosen_chat',
      'ref_rejected_chat',
    ]);
    const plain = await train(
      { shards, model: MODEL, out: tmp(), steps: 5, lr: 1e-3, batchSize: 4 },
      () => {},
    );
    const fast = await train(
      { shards: withRefs, model: MODEL, out: tmp(), steps: 5, lr: 1e-3, batchSize: 4 },
      () => {},
    );
    expect(plain.referencePasses).to.equal(5);
    expect(fast.referencePasses).to.equal(0);
    expect([plain.referenceModel, fast.referenceModel]).to.deep.equal([true, false]);
    expect(fast.paramBytes * 2).to.equal(plain.paramBytes); // the policy alone, not policy + reference
    fast.steps.forEach((s, i) => expect(s.loss).to.be.closeTo(plain.steps[i]!.loss, 1e-3));
  });

  it('with PyTorch (a Hugging Face folder, or --engine torch) equal the ONNX values, and the trainer then loads no reference model', async () => {
    const dir = tmp();
    const base = { maxLen: 2048, instructionAlways: false, focal: false, family: 'qwen' };
    const some = join(dir, 'some');
    await precomputeReference(smallShards(), MODEL, join(dir, 'onnx'), base, 'onnx');
    await precomputeReference(smallShards(), MODEL, join(dir, 'torch'), base, 'torch');
    const [a, b] = await Promise.all([readShardRows(join(dir, 'onnx')), readShardRows(join(dir, 'torch'))]);
    expect(b).to.have.length(a.length);
    let worst = 0;
    for (const [i, r] of a.entries())
      for (const c of REF_COLUMNS) {
        const [x, y] = [r[c] as number | null, b[i]![c] as number | null];
        expect(x === null, c).to.equal(y === null);
        if (x !== null) worst = Math.max(worst, Math.abs(x - y!) / Math.max(1, Math.abs(x)));
      }
    expect(worst).to.be.below(1e-4);
    expect(readManifest(join(dir, 'torch')).config.reference).to.deep.include({ engine: 'torch' });
    // a Hugging Face model (no model.onnx): PyTorch is chosen, and training on its columns loads no reference
    const qwen = join(dir, 'qwen2');
    execFileSync(torchPython(), [join(FIXTURES, '..', 'python', 'models.py'), 'tiny-qwen2', qwen], {
      stdio: 'pipe',
    });
    expect(refEngine(qwen)).to.equal('torch');
    await precomputeReference(smallShards(), qwen, some, base);
    const r = await train(
      { shards: some, model: qwen, out: tmp(), steps: 3, lr: 1e-3, batchSize: 4 },
      () => {},
    );
    expect([r.referenceModel, r.referencePasses]).to.deep.equal([false, 0]);
    expect(r.steps[0]!.loss).to.be.closeTo(Math.log(2), 1e-4); // policy = reference at step 1: their columns fit
  });

  it("on --trl pretokenized rows also fill TRL's ref_chosen_logps/ref_rejected_logps, where the reference tokenizer gives the row's ids", async () => {
    const dir = tmp();
    const pre = smallShards();
    const base = { maxLen: 2048, instructionAlways: false, focal: false, family: 'qwen' };
    await precomputeReference(pre, MODEL, join(dir, 'refs'), base);
    const rows = await readShardRows(join(dir, 'refs'));
    expect(rows.length).to.be.greaterThan(10);
    for (const r of rows) {
      expect(r.ref_chosen_logps)
        .to.be.a('number')
        .and.equal(r[`ref_chosen_${String(r.trl_format)}`]);
      expect(r.ref_rejected_logps)
        .to.be.a('number')
        .and.equal(r[`ref_rejected_${String(r.trl_format)}`]);
    }
    // other example options give other contexts than the rows' ids: no TRL values rather than wrong ones
    await precomputeReference(pre, MODEL, join(dir, 'other'), { ...base, instructionAlways: true });
    const other = await readShardRows(join(dir, 'other'));
    const changed = other.filter((r) => r.test_kind !== 'stdio'); // the instruction changes these rows only
    expect(changed.length).to.be.greaterThan(0);
    for (const r of changed) expect([r.ref_chosen_logps, r.ref_rejected_logps]).to.deep.equal([null, null]);
  });
});
