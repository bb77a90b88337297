import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { cpSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { lastValueFrom, of, toArray } from 'rxjs';
import * as ort from 'onnxruntime-node';
import { RunContext } from '../../../lib/context.ts';
import { loadTokenizer, OnnxGenerator, sampleToken } from '../../../lib/generators/onnx.ts';
import { prng } from '../../../lib/random.ts';
import { Fatal } from '../../../lib/stage.ts';
import type { Problem, PromptedTarget } from '../../../lib/schemas.ts';
import { fim } from '../../../operators/fim.ts';
import { generate } from '../../../operators/generate.ts';
import { torchPython } from '../../../lib/train/trainer.ts';
import { FIXTURES, tmp } from '../../helpers.ts';

const MODEL = join(FIXTURES, 'tiny-model');

async function target(): Promise<PromptedTarget> {
  const problem = {
    problem_id: 'p',
    question: 'Sum the numbers.',
    starter_code: '',
    tests: { kind: 'stdio', inputs: [], outputs: [] },
  } as unknown as Problem;
  const t = {
    problem,
    problem_id: 'p',
    solution_index: 0,
    target_id: 'p/0/2-3',
    kind: 'fim' as const,
    block_type: 'for' as const,
    depth: 1,
    start_line: 2,
    end_line: 3,
    prefix: 'n = int(input())\ntotal = 0\n',
    middle: 'for i in range(n):\n    total += i',
    suffix: '\nprint(total)\n',
  };
  const [p] = await lastValueFrom(of(t).pipe(fim(new RunContext()), toArray()));
  return p!;
}

describe('onnx generator on the tiny model the project builds', function () {
  this.timeout(60_000);

  it('samples with top-p from a seeded generator, greedy at temperature 0', () => {
    const logits = [0, 5, 4.9, -10];
    expect(sampleToken(logits, 0, 0.95, prng(1))).to.equal(1);
    const draws = Array.from({ length: 200 }, (_, i) => sampleToken(logits, 1, 0.5, prng(i)));
    expect(new Set(draws)).to.deep.equal(new Set([1])); // top-p 0.5 keeps only the most likely token
    const wide = Array.from({ length: 200 }, (_, i) => sampleToken(logits, 1, 0.99, prng(i)));
    expect(new Set(wide)).to.deep.equal(new Set([1, 2]));
  });

  it('recognises the FIM markers as special tokens and decodes back to the text', () => {
    const tok = loadTokenizer(MODEL);
    const text = '<|fim_prefix|>def f(x):\n    return x<|fim_suffix|>\n<|fim_middle|>';
    const enc = tok.encode(text, { add_special_tokens: false });
    expect(enc.tokens[0]).to.equal('<|fim_prefix|>');
    expect(enc.tokens).to.include('<|fim_middle|>');
    expect(tok.decode(enc.ids)).to.equal(text);
  });

  it('generates candidates through the generate stage: start string first, one block, deterministic for a seed', async () => {
    const t = await target();
    const run = async (seed: number) => {
      const ctx = new RunContext();
      const op = generate(ctx, {
        generator: new OnnxGenerator({ modelDir: MODEL }),
        params: { n: 3, max_tokens: 16, seed },
      });
      return lastValueFrom(of(t).pipe(op, toArray()));
    };
    const a = await run(7);
    expect(a).to.have.length(3);
    for (const c of a) {
      expect(c.candidate.startsWith('for')).to.equal(true);
      expect(c.generator).to.equal('onnx');
      expect(c.origin).to.equal('tiny-model');
    }
    expect((await run(7)).map((c) => c.candidate)).to.deep.equal(a.map((c) => c.candidate));
    expect((await run(8)).map((c) => c.candidate)).to.not.deep.equal(a.map((c) => c.candidate));
  });

  it('ready() names a missing folder, model.onnx or tokenizer.json and the fix, and loads the model once for the run', async () => {
    const model = join(tmp(), 'model');
    cpSync(MODEL, model, { recursive: true });
    rmSync(join(model, 'model.onnx'));
    const fix = '--model-dir must hold the model exported to ONNX (model.onnx) and its tokenizer.json';
    const failure = (dir: string) =>
      new OnnxGenerator({ modelDir: dir }).ready().then(
        () => new Error('ready'),
        (e: Error) => e,
      );
    const missing = await failure(model);
    expect(missing).to.be.instanceOf(Fatal);
    expect(missing.message).to.equal(`model folder ${model} has no model.onnx; ${fix}`);
    expect((await failure(`${model}-nope`)).message).to.equal(
      `model folder not found: ${model}-nope; ${fix}`,
    );
    cpSync(join(MODEL, 'model.onnx'), join(model, 'model.onnx'));
    rmSync(join(model, 'tokenizer.json'));
    expect((await failure(model)).message).to.equal(`model folder ${model} has no tokenizer.json; ${fix}`);
    cpSync(join(MODEL, 'tokenizer.json'), join(model, 'tokenizer.json'));
    writeFileSync(join(model, 'model.onnx'), 'not a model');
    expect((await failure(model)).message).to.match(
      new RegExp(`^${join(model, 'model.onnx')} does not load: `),
    );

    const create = ort.InferenceSession.create.bind(ort.InferenceSession);
    let loads = 0;
    ort.InferenceSession.create = ((...args: Parameters<typeof create>) => {
      loads++;
      return create(...args);
    }) as typeof create;
    try {
      const gen = new OnnxGenerator({ modelDir: MODEL });
      await gen.ready();
      const t = await target();
      const params = { n: 1, max_tokens: 2 };
      await lastValueFrom(of(t, t).pipe(generate(new RunContext(), { generator: gen, params }), toArray()));
      expect(loads).to.equal(1);
    } finally {
      ort.InferenceSession.create = create;
    }
  });

  it('a model that does not load mid-run stops the generate stage (Fatal) instead of rejecting every target', async () => {
    const model = join(tmp(), 'model');
    cpSync(MODEL, model, { recursive: true });
    rmSync(join(model, 'model.onnx'));
    const ctx = new RunContext();
    const op = generate(ctx, { generator: new OnnxGenerator({ modelDir: model }), params: { n: 1 } });
    const t = await target();
    const err = await lastValueFrom(of(t, t).pipe(op, toArray())).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err).to.be.instanceOf(Fatal);
    expect(err?.message).to.include(`model folder ${model} has no model.onnx`);
    expect(ctx.counter('generate').rejected).to.equal(0);
  });

  it('gives the logits PyTorch gives for the same model (within 1e-4)', async function () {
    const ids = loadTokenizer(MODEL).encode('for i in range(n):\n    total += i\n', {
      add_special_tokens: false,
    }).ids;
    const script = `import json, sys, torch\nsys.path.insert(0, ${JSON.stringify(join(FIXTURES, '..', 'python'))})\nimport tiny_model\nm = tiny_model.load(${JSON.stringify(MODEL)}).eval()\nwith torch.no_grad():\n    print(json.dumps(m(torch.tensor([${JSON.stringify(ids)}]))[0].tolist()))\n`;
    const torchLogits = JSON.parse(
      execFileSync(torchPython(), ['-c', script], { maxBuffer: 1 << 28 }).toString(),
    ) as number[][];
    const session = await ort.InferenceSession.create(join(MODEL, 'model.onnx'));
    const out = await session.run({
      input_ids: new ort.Tensor('int64', BigInt64Array.from(ids.map(BigInt)), [1, ids.length]),
    });
    const flat = out.logits!.data as Float32Array;
    const vocab = torchLogits[0]!.length;
    let maxDiff = 0;
    torchLogits.forEach((row, i) =>
      row.forEach((v, j) => (maxDiff = Math.max(maxDiff, Math.abs(v - flat[i * vocab + j]!)))),
    );
    expect(maxDiff).to.be.below(1e-4);
  });
});
