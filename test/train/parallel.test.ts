import { expect } from 'chai';
import { execFileSync, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { exportBatches, torchPython, train } from '../../lib/train/trainer.ts';
import { FIXTURES, fixturePairShards, tmp } from '../helpers.ts';

const PY = join(FIXTURES, '..', 'python');
const TESTPY = join(FIXTURES, '..', 'test', 'python');
type Event = {
  event: string;
  step: number;
  loss: number;
  param_checksum?: string;
  param_bytes_per_rank?: number;
};

/** The worker on the exported batch stream: one process, or `ranks` processes under torchrun. */
function worker(
  batches: string,
  model: string,
  out: string,
  extra: string[],
  ranks = 1,
): { child: ReturnType<typeof spawn>; done: Promise<Event[]> } {
  const args = [
    join(PY, 'train_worker.py'),
    ...['--input', batches, '--model', model, '--out', out, '--lr', '1e-3', '--optimizer', 'adamw'],
    ...extra,
  ];
  const launch =
    ranks > 1
      ? ['-m', 'torch.distributed.run', '--standalone', '--nproc_per_node', String(ranks), ...args]
      : args;
  const child = spawn(torchPython(), launch, {
    detached: true,
    env: { ...process.env, OMP_NUM_THREADS: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-3000)));
  const done = new Promise<Event[]>((resolve, reject) =>
    child.on('exit', (code, signal) =>
      code === 0
        ? resolve(
            stdout
              .trim()
              .split('\n')
              .map((l) => JSON.parse(l) as Event),
          )
        : reject(new Error(`worker exit ${code ?? signal}: ${stderr}`)),
    ),
  );
  return { child, done };
}

/** The processes whose parent is `pid` (from /proc: no procps needed). */
function childrenOf(pid: number): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((d) => {
      try {
        // the fields after the command's closing parenthesis: state, ppid, …
        return Number(readFileSync(`/proc/${d}/stat`, 'utf8').split(') ').pop()!.split(' ')[1]) === pid;
      } catch {
        return false; // gone meanwhile
      }
    })
    .map(Number);
}

const steps = (evs: Event[]) => evs.filter((e) => e.event === 'step');
const last = (evs: Event[]) => evs.at(-1)!;

describe('the trainer worker at scale (transformers Qwen2, FSDP2, bf16)', function () {
  this.timeout(300_000);
  let shards: string;
  let model: string;
  let batches: string;

  before(async function () {
    this.timeout(300_000);
    shards = fixturePairShards();
    model = join(tmp(), 'tiny-qwen2'); // from config, no download: 2 layers, hidden 64, the project's tokenizer
    execFileSync(torchPython(), [join(PY, 'models.py'), 'tiny-qwen2', model], { stdio: 'pipe' });
    batches = join(tmp(), 'batches.bin');
    await exportBatches({ shards, model, out: tmp(), batchSize: 4 }, batches);
  });

  it('FSDP2 on two gloo ranks follows one rank: loss curve within 1e-5, final parameters within 1e-4, half the bytes per rank', async () => {
    const one = worker(batches, model, tmp(), ['--total-steps', '8']);
    const oneEvents = await one.done;
    const oneOut = one.child.spawnargs[one.child.spawnargs.indexOf('--out') + 1] as string;
    const two = worker(batches, model, tmp(), ['--total-steps', '8', '--parallel', 'fsdp'], 2);
    const twoEvents = await two.done;
    const twoOut = two.child.spawnargs[two.child.spawnargs.indexOf('--out') + 1] as string;
    expect(steps(twoEvents).map((e) => e.step)).to.deep.equal([1, 2, 3, 4, 5, 6, 7, 8]);
    steps(twoEvents).forEach((e, i) => expect(e.loss).to.be.closeTo(steps(oneEvents)[i]!.loss, 1e-5));
    expect(steps(oneEvents).at(-1)!.loss).to.not.be.closeTo(steps(oneEvents)[0]!.loss, 1e-3); // it did train
    const diff = Number(
      execFileSync(torchPython(), [
        join(TESTPY, 'compare_states.py'),
        join(oneOut, 'checkpoint', 'state.pt'),
        join(twoOut, 'checkpoint', 'state.pt'),
      ]).toString(),
    );
    expect(diff).to.be.below(1e-4);
    // policy + reference, each sharded in two (the embedding's odd row count leaves a few bytes over)
    expect(last(twoEvents).param_bytes_per_rank! / last(oneEvents).param_bytes_per_rank!).to.be.within(
      0.5,
      0.51,
    );
  });

  it('an FSDP2 run killed with -9 after a checkpoint resumes at its position and ends bit-identical', async () => {
    const flags = ['--total-steps', '8', '--parallel', 'fsdp', '--checkpoint-every', '2'];
    const whole = await worker(batches, model, tmp(), flags, 2).done;
    const out = tmp();
    const run = worker(batches, model, out, flags, 2);
    run.done.catch(() => {});
    await new Promise<void>((resolve) => {
      let seen = '';
      run.child.stdout!.on('data', (d: Buffer) => {
        seen += d.toString();
        if (/"step": 5,/.test(seen)) resolve();
      });
    });
    // torchrun starts each rank in its own session: kill the ranks as well as torchrun, as a lost node would
    for (const pid of [run.child.pid!, ...childrenOf(run.child.pid!)]) process.kill(pid, 'SIGKILL');
    await new Promise((r) => run.child.on('exit', r));
    const resumed = await worker(batches, model, out, [...flags, '--resume'], 2).done;
    expect(steps(resumed)[0]!.step).to.be.within(3, 6); // continued from the step-2 or step-4 checkpoint
    expect(last(resumed).param_checksum).to.equal(last(whole).param_checksum);
  });

  it('bf16 computes in bf16 over fp32 weights and gradients; gradient checkpointing runs each layer again in backward', () => {
    const r = JSON.parse(
      execFileSync(torchPython(), [join(TESTPY, 'precision.py'), model]).toString(),
    ) as Record<
      'plain' | 'checkpointing',
      { layer_calls: number; layers: number; logits: string; weights: string; grads: string }
    >;
    for (const run of [r.plain, r.checkpointing])
      expect([run.logits, run.weights, run.grads]).to.deep.equal([
        'torch.bfloat16',
        'torch.float32',
        'torch.float32',
      ]);
    expect(r.plain.layer_calls).to.equal(r.plain.layers);
    expect(r.checkpointing.layer_calls).to.equal(2 * r.checkpointing.layers);
  });

  it('trains the transformers model in bf16 with gradient checkpointing through structflow train: the loss falls', async () => {
    const out = tmp();
    const opts = { shards, model, out, steps: 30, lr: 1e-3, batchSize: 8 };
    const r = await train({ ...opts, precision: 'bf16', gradientCheckpointing: true }, () => {});
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean(r.steps.slice(-5).map((s) => s.loss))).to.be.below(
      mean(r.steps.slice(0, 5).map((s) => s.loss)) * 0.8,
    );
    expect(readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n')).to.have.length(31);
  });
});
