import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { loadTokenizer } from '../../lib/generators/onnx.ts';
import { torchPython, train } from '../../lib/train/trainer.ts';
import { FIXTURES, fixturePairShards, tmp } from '../helpers.ts';

const PY = join(FIXTURES, '..', 'python');
const TINY = join(FIXTURES, 'tiny-model');
const quiet = () => {};
const TEXT = 'for i in range(n):\n    total += i\n';

/** Logits of `ids` from the trained state in OUT/checkpoint/state.pt, put into the architecture it was trained in. */
function checkpointLogits(source: string, out: string, ids: number[]): number[][] {
  const script = `import json, sys, torch
sys.path.insert(0, ${JSON.stringify(PY)})
from models import load_model
m = load_model(${JSON.stringify(source)}, torch.device("cpu"))
m.load_state_dict(torch.load(${JSON.stringify(join(out, 'checkpoint', 'state.pt'))}, map_location="cpu")["model"])
m.eval()
with torch.no_grad():
    print(json.dumps(m(torch.tensor([${JSON.stringify(ids)}]))[0].tolist()))
`;
  return JSON.parse(
    execFileSync(torchPython(), ['-c', script], { maxBuffer: 1 << 28 }).toString(),
  ) as number[][];
}

const maxDiff = (a: number[][], b: ArrayLike<number>) => {
  const vocab = a[0]!.length;
  let d = 0;
  a.forEach((row, i) => row.forEach((v, j) => (d = Math.max(d, Math.abs(v - b[i * vocab + j]!)))));
  return d;
};

describe('the trained model leaves the trainer as a standard folder', function () {
  this.timeout(600_000);
  const ids = loadTokenizer(TINY).encode(TEXT, { add_special_tokens: false }).ids;

  it('a Hugging Face model (tiny Qwen2): from_pretrained in a fresh process gives the trained logits', async () => {
    const qwen = join(tmp(), 'tiny-qwen2');
    execFileSync(torchPython(), [join(PY, 'models.py'), 'tiny-qwen2', qwen], { stdio: 'pipe' });
    const out = tmp();
    const r = await train(
      { shards: fixturePairShards(), model: qwen, out, steps: 2, lr: 1e-3, batchSize: 4 },
      quiet,
    );
    expect(r.model).to.equal(join(out, 'model'));
    for (const f of ['config.json', 'model.safetensors', 'generation_config.json', 'tokenizer.json'])
      expect(existsSync(join(out, 'model', f)), f).to.equal(true);
    const script = `import json, torch
from transformers import AutoModelForCausalLM
m = AutoModelForCausalLM.from_pretrained(${JSON.stringify(join(out, 'model'))}).eval()
with torch.no_grad():
    print(json.dumps(m(input_ids=torch.tensor([${JSON.stringify(ids)}])).logits[0].flatten().tolist()))
`;
    const loaded = JSON.parse(
      execFileSync(torchPython(), ['-c', script], { maxBuffer: 1 << 28 }).toString(),
    ) as number[];
    const trained = checkpointLogits(qwen, out, ids);
    expect(maxDiff(trained, loaded)).to.be.below(1e-5);
    // and training changed the model: the export is not the starting point
    const before = JSON.parse(
      execFileSync(torchPython(), ['-c', script.replace(join(out, 'model'), qwen)], {
        maxBuffer: 1 << 28,
      }).toString(),
    ) as number[];
    expect(maxDiff(trained, before)).to.be.above(1e-4);
  });

  it('the built-in tiny model: model.onnx gives the trained logits in onnxruntime, ready for --generator onnx', async () => {
    const out = tmp();
    await train({ shards: fixturePairShards(), model: TINY, out, steps: 3, lr: 1e-3, batchSize: 8 }, quiet);
    const session = await ort.InferenceSession.create(join(out, 'model', 'model.onnx'));
    const got = await session.run({
      input_ids: new ort.Tensor('int64', BigInt64Array.from(ids.map(BigInt)), [1, ids.length]),
    });
    expect(maxDiff(checkpointLogits(TINY, out, ids), got.logits!.data as Float32Array)).to.be.below(1e-4);
    expect(loadTokenizer(join(out, 'model')).encode(TEXT, { add_special_tokens: false }).ids).to.deep.equal(
      ids,
    );
  });
});
