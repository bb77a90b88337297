import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { loadTokenizer } from '../../lib/generators/onnx.ts';
import { readManifest } from '../../lib/manifest.ts';
import { buildExample, type PairRow } from '../../lib/train/examples.ts';
import { onnxLogp, precomputeReference } from '../../lib/train/reference.ts';
import { torchPython, train } from '../../lib/train/trainer.ts';
import { FIXTURES, fixturePairShards, readParquetFile, tmp } from '../helpers.ts';

const MODEL = join(FIXTURES, 'tiny-model');
const opts = { fimRate: 0, seed: 0, maxLen: 2048, instructionAlways: false, focal: false, family: 'qwen' };

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
});
