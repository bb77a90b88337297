import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { readManifest } from '../../lib/manifest.ts';
import { ROOT } from '../../lib/root.ts';
import { torchPython } from '../../lib/train/trainer.ts';
import { FIXTURES, readShardRows, tmp } from '../helpers.ts';

interface TrlCheck {
  trl_loss: number;
  our_loss: number;
  order: number[];
  order_precomputed: number[];
  losses_with_reference: number[];
  losses_precomputed: number[];
  reference_model_loaded: boolean;
  prompt_ids_seen: number[][];
}

describe("TRL's DPOTrainer on the shards (python/structflow_trl.py)", function () {
  this.timeout(300_000);

  it('trains in manifest order with shuffling off, agrees with our DPO loss, and takes the rows’ reference log-probs', async () => {
    const dir = tmp();
    const shards = join(dir, 'shards');
    execFileSync(
      'node',
      [
        join(ROOT, 'bin', 'structflow.js'),
        ...['run', 'structurecoder', '--input', join(FIXTURES, 'apps.jsonl'), '--out', shards],
        ...['--test-timeout', '0.5', '--quiet', '--trl', 'pretokenized', '--rows-per-shard', '3'],
        ...['--trl-tokenizer', join(FIXTURES, 'tiny-model')],
      ],
      { stdio: 'pipe' },
    );
    expect(readManifest(shards).shards.length).to.be.above(3); // the order crosses shard boundaries
    // policy ≠ reference (two seeds of the tiny Qwen2), so the loss is not the trivial log 2
    const [policy, reference] = [1, 0].map((seed) => {
      const m = join(dir, `qwen2-${seed}`);
      execFileSync(
        torchPython(),
        [join(ROOT, 'python', 'models.py'), 'tiny-qwen2', m, join(FIXTURES, 'tiny-model'), String(seed)],
        { stdio: 'pipe' },
      );
      return m;
    });
    const r = JSON.parse(
      execFileSync(
        torchPython(),
        [join(ROOT, 'test', 'python', 'trl_check.py'), shards, policy!, reference!, dir],
        {
          env: { ...process.env, HF_HUB_OFFLINE: '1', HF_HOME: join(dir, 'hf'), TQDM_DISABLE: '1' },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      )
        .toString()
        .trim()
        .split('\n')
        .pop()!,
    ) as TrlCheck;
    // the order: dataset positions 0, 1, 2, … and the rows at those positions are the manifest's
    expect(r.order.slice(0, 8)).to.deep.equal([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(r.order).to.deep.equal(r.order.map((_, i) => i)); // the dataloader's look-ahead is in order too
    const ours = (await readShardRows(shards)).slice(0, 8).map((row) => row.prompt_ids);
    expect(r.prompt_ids_seen).to.deep.equal(ours);
    // the same pair, models and beta: TRL's loss and python/dpo.py's
    expect(Math.abs(r.trl_loss - r.our_loss)).to.be.below(1e-4);
    expect(Math.abs(r.trl_loss - Math.log(2))).to.be.above(1e-3);
    // reference log-probs from the rows: no reference model loaded, the same losses step by step
    expect(r.reference_model_loaded).to.equal(false);
    expect(r.order_precomputed).to.deep.equal([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(r.losses_precomputed).to.have.length(4);
    r.losses_precomputed.forEach((l, i) => expect(l).to.be.closeTo(r.losses_with_reference[i]!, 1e-5));
  });
});
