import { VENV_INSTALL } from '../sandbox/bwrap.ts';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ROOT } from '../root.ts';
import { createInterface } from 'node:readline';
import type { Tokenizer } from '../code/tokenizer.ts';
import { loadTokenizer } from '../generators/onnx.ts';
import { readManifest, shardRows, type Manifest } from '../manifest.ts';
import { diffKeys } from '../parts.ts';
import { folderStamp } from '../units.ts';
import { claimOutput } from '../runner.ts';
import { buildExample, FormatDraws, type Example, type PairRow, type TrainOptions } from './examples.ts';

/** The trainer's defaults, for every caller: the CLI's option table shows these. */
export const TRAIN_DEFAULTS = {
  loss: 'dpo',
  preset: 'structurecoder',
  lr: 1e-6,
  optimizer: 'rmsprop',
  warmupRatio: 0.05,
  batchSize: 4,
  gradAccum: 1,
  fimRate: 0.5,
  maxLen: 2048,
  seed: 0,
  checkpointEvery: 0,
  precision: 'fp32',
} as const;

/** A training: the shards, the model, the output folder, and the loss and schedule settings. */
export interface TrainConfig extends Partial<TrainOptions> {
  /** Output folder of a pipeline run: manifest.json and its shards. */
  shards: string;
  /** Model folder: the built-in tiny model (model.pt), or a Hugging Face causal LM (config.json + weights). */
  model: string;
  /** Where checkpoints, metrics.jsonl and metrics.png go. */
  out: string;
  loss?: 'dpo' | 'target-dpo' | 'target-rpo';
  /** β per preset: structurecoder 0.5, targetdpo 0.1. */
  preset?: 'structurecoder' | 'targetdpo';
  beta?: number;
  alpha?: number;
  lr?: number;
  optimizer?: 'rmsprop' | 'adamw';
  warmupRatio?: number;
  /** Pairs per micro-batch sent to the worker. Default 4. */
  batchSize?: number;
  /** Micro-batches per optimizer step. Default 1 (the reference: 128 pairs per step). */
  gradAccum?: number;
  /**
   * Stop after this many optimizer steps (default: one pass over the shards). Beyond one pass the pairs are
   * read again from the first, in the same order, as `max_steps` does in transformers' Trainer and TRL.
   */
  steps?: number;
  checkpointEvery?: number;
  /** bf16: bf16 compute (autocast) over fp32 master weights and optimizer state. Default fp32. */
  precision?: 'fp32' | 'bf16';
  /** Recompute each decoder layer's activations in the backward pass instead of keeping them. */
  gradientCheckpointing?: boolean;
  /** Continue from `out/checkpoint` at the exact next pair. */
  resume?: boolean;
  /** Train again into an `out` that holds a finished training of the same length (otherwise it is kept). */
  overwrite?: boolean;
  /** Tokenizer folder (default: the model folder). */
  tokenizer?: string;
  /** Append every pair index the worker receives to this file (for tests of the order). */
  logOrder?: string;
  python?: string;
}

/** One optimizer step's figures, as the worker reports them. */
export interface StepMetrics {
  step: number;
  /** Pairs this optimizer step trained on. */
  pairs: number;
  loss: number;
  margin: number;
  accuracy: number;
  pairs_per_s: number;
  tokens_per_s: number;
  position: number;
}

/** What a training did. */
export interface TrainSummary {
  steps: StepMetrics[];
  /** Pairs the optimizer steps trained on (what was sent ahead of the last step is not counted). */
  trained: number;
  /** Whether `out` held this very training, finished, and nothing was done. */
  kept?: boolean;
  /** The trained model as a standard folder (`OUT/model`): safetensors for a Hugging Face model, model.onnx for the tiny one. */
  model: string;
  dropped: number;
  sent: number;
  checksum: string;
  /** Micro-batches for which the worker ran the reference model (0 when all log-probs were precomputed). */
  referencePasses: number;
  /** Whether the worker loaded a reference model (not when every pair's reference log-probs were precomputed). */
  referenceModel: boolean;
  /** Bytes of parameters the worker held: the policy, plus the reference model when it loaded one. */
  paramBytes: number;
  plot?: string;
}

/** The worker's last line (python/train_worker.py). */
interface DoneEvent {
  event: 'done';
  step: number;
  param_checksum: string;
  reference_passes: number;
  reference_model: boolean;
  param_bytes_per_rank: number;
}

const WORKER = join(ROOT, 'python', 'train_worker.py');
const PLOT = join(ROOT, 'python', 'plot_metrics.py');

/** What the worker needs of its Python, found without importing it (importing torch alone takes ~3 s). */
const WORKER_NEEDS = `
import importlib.metadata as m, importlib.util as u, sys
missing = [n for n in ("torch", "transformers", "matplotlib") if u.find_spec(n) is None]
old = not missing and tuple(int(x) for x in m.version("torch").split(".")[:2]) < (2, 6)
sys.exit(f"missing {', '.join(missing)}" if missing else "torch < 2.6 (no FSDP2)" if old else print(sys.executable))
`;
export { VENV_INSTALL };
const found = new Map<string, string>();

/**
 * The Python that runs the trainer worker: `explicit`, else $STRUCTFLOW_TORCH_PYTHON, else the project's
 * `.venv` (PyTorch ≥ 2.6, transformers, matplotlib from python/requirements.txt). Throws with what is missing
 * and the install command.
 */
export function torchPython(explicit?: string): string {
  const p = explicit ?? process.env.STRUCTFLOW_TORCH_PYTHON ?? join(ROOT, '.venv', 'bin', 'python');
  if (!found.has(p)) {
    const r = spawnSync(p, ['-c', WORKER_NEEDS]);
    if (r.status !== 0) {
      const why = r.error ? 'not found' : r.stderr.toString().trim().split('\n').pop();
      throw new Error(`no Python for the trainer worker (${p}: ${why}): ${VENV_INSTALL}`);
    }
    found.set(p, r.stdout.toString().trim());
  }
  return found.get(p)!;
}

/** A micro-batch frame: header JSON then the pairs' ids and masks as little-endian int32 arrays. */
type Item = { index: number; ex: Example; ref: [number, number] | null };

function frame(batch: Item[], nextPosition: number): Buffer {
  const header = Buffer.from(
    JSON.stringify({
      pairs: batch.map((b) => ({
        index: b.index,
        chosen_len: b.ex.chosen.ids.length,
        rejected_len: b.ex.rejected.ids.length,
        ref: b.ref,
      })),
      next_position: nextPosition,
    }),
  );
  const ints = batch.flatMap((b) => [
    ...b.ex.chosen.ids,
    ...b.ex.chosen.mask,
    ...b.ex.rejected.ids,
    ...b.ex.rejected.mask,
  ]);
  const payload = Buffer.from(Int32Array.from(ints).buffer);
  const len = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(n);
    return b;
  };
  return Buffer.concat([len(header.length), header, len(payload.length), payload]);
}

/**
 * The train operator: reads the manifest, streams pairs in manifest order (never shuffled),
 * draws FIM or chat per pair, tokenizes, masks, drops over-long pairs (counted), batches, and feeds a
 * PyTorch worker over a pipe with backpressure; metrics come back per optimizer step.
 */
export async function train(
  cfg: TrainConfig,
  log: (line: string) => void = (l) => process.stderr.write(l + '\n'),
): Promise<TrainSummary> {
  const python = torchPython(cfg.python); // before anything is written: a missing venv is the first thing said
  const manifest = readManifest(cfg.shards);
  cfg = { ...cfg, ...lossFor(manifest, cfg) };
  const batchSize = cfg.batchSize ?? TRAIN_DEFAULTS.batchSize;
  const gradAccum = cfg.gradAccum ?? TRAIN_DEFAULTS.gradAccum;
  const onePass = Math.ceil(manifest.rows / (batchSize * gradAccum));
  if (!(onePass >= 1)) throw new Error(`${cfg.shards} has no pairs to train on`);
  const totalSteps = cfg.steps ?? onePass;
  const opts = trainOptions(cfg);
  const tokenizer = modelTokenizer(cfg); // before anything is written, like the checks above
  const finished = join(cfg.out, 'trained.json');
  const learning = learningFlags(cfg, opts.seed, totalSteps, gradAccum);
  // what decides a training's result, recorded in trained.json: a finished training is kept only for the
  // same shards (their checksums), base model (its path and files' sizes and times) and hyperparameters
  const settings: Record<string, unknown> = {
    shards: manifest.shards.map((s) => s.sha256),
    model: modelStamp(cfg.model),
    batch_size: batchSize,
    examples: opts,
    ...learning,
  };
  if (!cfg.resume && !cfg.overwrite && existsSync(finished)) {
    const before = JSON.parse(readFileSync(finished, 'utf8')) as TrainSummary & {
      settings?: Record<string, unknown>;
    };
    // only the length may differ without --overwrite: another `--steps` trains again
    const { 'total-steps': stepsBefore, ...was } = before.settings ?? {};
    const { 'total-steps': steps, ...now } = settings;
    const differ = before.settings
      ? JSON.stringify(was) !== JSON.stringify(now) && diffKeys(JSON.stringify(was), JSON.stringify(now))
      : 'made before they were recorded';
    if (differ)
      throw new Error(
        `${cfg.out} holds a finished training of other settings (${differ}): pass --overwrite to train again there, or another --out`,
      );
    if (stepsBefore === steps) {
      log(
        `${cfg.out} holds this training, finished (${before.steps.length} steps on ${before.trained} pairs): kept; --overwrite trains again`,
      );
      return { ...before, kept: true };
    }
  }
  if (totalSteps > onePass)
    log(
      `--steps ${totalSteps} is more than one pass over the shards (at most ${onePass} steps of ${batchSize * gradAccum} pairs): the pairs are read again from the first, in the same order`,
    );
  // a training's own files: a folder holding none of them is someone else's, not to be written into
  claimOutput(cfg.out, ['trained.json', 'metrics.jsonl', 'checkpoint']);
  mkdirSync(cfg.out, { recursive: true });
  const positionFile = join(cfg.out, 'checkpoint', 'position.json');
  const skipTo =
    cfg.resume && existsSync(positionFile)
      ? (JSON.parse(readFileSync(positionFile, 'utf8')) as { position: number }).position
      : 0;
  const useRefs = precomputedRefs(manifest, opts, log);
  const args = [
    WORKER,
    ...['--model', cfg.model, '--out', cfg.out],
    ...Object.entries(learning).flatMap(([flag, value]) => [`--${flag}`, value]),
    ...['--checkpoint-every', String(cfg.checkpointEvery ?? TRAIN_DEFAULTS.checkpointEvery)],
    ...(cfg.gradientCheckpointing ? ['--gradient-checkpointing'] : []),
    ...(useRefs ? ['--reference', 'precomputed'] : []),
    ...(cfg.resume ? ['--resume'] : []),
    ...(cfg.logOrder ? ['--log-order', cfg.logOrder] : []),
    ...['--export', join(cfg.out, 'model')],
  ];
  const worker = spawn(python, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  worker.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const exited = once(worker, 'exit') as Promise<[number | null, string | null]>;
  let workerDone = false;
  void exited.then(() => (workerDone = true));
  worker.stdin.on('error', () => {}); // the worker stops reading once it reached its last step

  const metrics = createWriteStream(join(cfg.out, 'metrics.jsonl'), { flags: cfg.resume ? 'a' : 'w' });
  const steps: StepMetrics[] = [];
  let done: DoneEvent | undefined;
  const reading = (async () => {
    for await (const line of createInterface({ input: worker.stdout })) {
      const ev = JSON.parse(line) as ({ event: 'step' } & StepMetrics) | DoneEvent;
      metrics.write(line + '\n');
      if (ev.event === 'step') {
        steps.push(ev);
        log(
          `step ${ev.step}/${totalSteps}  loss ${ev.loss.toFixed(4)}  margin ${ev.margin.toFixed(4)}  acc ${ev.accuracy.toFixed(2)}  ${ev.pairs_per_s.toFixed(1)} pairs/s  ${ev.tokens_per_s.toFixed(0)} tok/s`,
        );
      } else if (ev.event === 'done') done = ev;
    }
  })();

  const send = async (buf: Buffer) => {
    if (workerDone) return;
    // a worker that reached its last step stops reading: its pipe errors instead of draining
    if (!worker.stdin.write(buf))
      await Promise.race([once(worker.stdin, 'drain').catch(() => undefined), exited]);
  };
  const counts = { dropped: 0, sent: 0 };
  // with --steps, as many passes as the steps take: the worker stops reading at its last step
  const passes = cfg.steps === undefined ? 1 : Infinity;
  for await (const buf of batchFrames(cfg, tokenizer, manifest, opts, skipTo, counts, useRefs, passes)) {
    if (workerDone) break;
    await send(buf);
  }
  const { dropped, sent } = counts;
  await send(Buffer.alloc(4)); // end of stream
  if (!workerDone) worker.stdin.end();
  const [code] = await exited;
  await reading;
  metrics.end();
  await once(metrics, 'finish');
  if (code !== 0)
    throw new Error(
      `the trainer worker failed (exit ${code}): ${stderr.trim().split('\n').slice(-5).join('\n')}`,
    );
  const trained = steps.reduce((n, s) => n + s.pairs, 0);
  const passed = (steps[steps.length - 1]?.position ?? 0) / manifest.rows;
  log(
    `trained ${steps.length} step(s) on ${trained} pair(s) (${cfg.loss}, preset ${cfg.preset}; ${passed.toFixed(2)} passes over the shards); ${dropped} dropped as longer than ${opts.maxLen} tokens`,
  );
  log(`model → ${join(cfg.out, 'model')} (${exportedFormats(cfg.model)})`);
  const png = join(cfg.out, 'metrics.png');
  const plot = spawnSync(python, [PLOT, join(cfg.out, 'metrics.jsonl'), png]);
  if (plot.status !== 0) log(`no plot (${plot.stderr.toString().trim().split('\n').pop()})`);
  const summary: TrainSummary = {
    steps,
    model: join(cfg.out, 'model'),
    trained,
    dropped,
    sent,
    checksum: done?.param_checksum ?? '',
    referencePasses: done?.reference_passes ?? 0,
    referenceModel: done?.reference_model ?? true,
    paramBytes: done?.param_bytes_per_rank ?? 0,
    ...(plot.status === 0 ? { plot: png } : {}),
  };
  writeFileSync(finished, JSON.stringify({ ...summary, settings }) + '\n');
  return summary;
}

/** The worker's flags that decide what it learns (and so what trained.json records of a training). */
function learningFlags(
  cfg: TrainConfig,
  seed: number,
  totalSteps: number,
  gradAccum: number,
): Record<string, string> {
  return {
    loss: cfg.loss ?? TRAIN_DEFAULTS.loss,
    preset: cfg.preset ?? TRAIN_DEFAULTS.preset,
    lr: String(cfg.lr ?? TRAIN_DEFAULTS.lr),
    optimizer: cfg.optimizer ?? TRAIN_DEFAULTS.optimizer,
    'warmup-ratio': String(cfg.warmupRatio ?? TRAIN_DEFAULTS.warmupRatio),
    'total-steps': String(totalSteps),
    'grad-accum': String(gradAccum),
    seed: String(seed),
    ...(cfg.beta !== undefined ? { beta: String(cfg.beta) } : {}),
    ...(cfg.alpha !== undefined ? { alpha: String(cfg.alpha) } : {}),
    precision: cfg.precision ?? TRAIN_DEFAULTS.precision,
  };
}

/** A model by where it is and what its files are: retrained in place, it is another model. */
const modelStamp = (model: string) => (existsSync(model) ? `${resolve(model)} ${folderStamp(model)}` : model);

/**
 * The loss and preset of a training: as told, else from the pipeline that made the shards (Target-DPO shards
 * train with the Target-DPO loss and its beta). A focal loss needs the D− lines of Target-DPO shards: asking
 * for it on others is an error, never a quiet fallback to every rejected token.
 */
export function lossFor(
  manifest: Manifest,
  cfg: Pick<TrainConfig, 'loss' | 'preset' | 'shards'>,
): Required<Pick<TrainConfig, 'loss' | 'preset'>> {
  const focalShards = manifest.pipeline === 'targetdpo';
  const loss = cfg.loss ?? (focalShards ? 'target-dpo' : TRAIN_DEFAULTS.loss);
  const preset = cfg.preset ?? (focalShards ? 'targetdpo' : TRAIN_DEFAULTS.preset);
  const hasSpans = manifest.schema.some((c) => c.name === 'rejected_diff_lines');
  if (loss !== 'dpo' && !hasSpans)
    throw new Error(
      `--loss ${loss} trains on the rejected side's D− lines, which ${cfg.shards} does not have (made by ${manifest.pipeline}): use Target-DPO shards, or --loss dpo`,
    );
  return { loss, preset };
}

/**
 * Whether the shards' reference log-probs (from `structflow ref-logps`) fit this run: only if they were made
 * with the same example options. Then the worker loads no reference model at all.
 */
function precomputedRefs(manifest: Manifest, opts: TrainOptions, log: (line: string) => void): boolean {
  const made = (manifest.config as { reference?: Record<string, unknown> }).reference;
  if (!made) return false;
  const same = ['maxLen', 'instructionAlways', 'focal', 'family'].every(
    (k) => made[k] === opts[k as keyof TrainOptions],
  );
  if (!same) log('the shards have reference log-probs made with other options: computing them again');
  return same;
}

/**
 * What loads the folder that a training of `model` exports (python/export_model.py): a Hugging Face model
 * is saved as `save_pretrained` writes it; the built-in tiny model is no transformers architecture (its
 * config.json has no model_type), so from_pretrained cannot load it, and it is exported to ONNX instead.
 */
export function exportedFormats(model: string): string {
  return existsSync(join(model, 'model.pt'))
    ? 'the tiny model: model.onnx for --generator onnx and eval --model-dir; not a transformers model, from_pretrained and vLLM cannot load it'
    : "as save_pretrained writes it: transformers' from_pretrained and vLLM load it";
}

/**
 * The micro-batch frames of a training run, in manifest order from stream position `skipTo` on, over
 * the shards `passes` times (positions go on counting across passes). The FIM/chat draw is made for
 * every pair, skipped or dropped ones included, so formats never shift.
 */
async function* batchFrames(
  cfg: TrainConfig,
  tokenizer: Tokenizer,
  manifest: Manifest,
  opts: TrainOptions,
  skipTo: number,
  counts: { dropped: number; sent: number },
  useRefs: boolean,
  passes = 1,
): AsyncGenerator<Buffer> {
  const batchSize = cfg.batchSize ?? TRAIN_DEFAULTS.batchSize;
  const draws = new FormatDraws(opts.fimRate, opts.seed);
  let position = 0;
  let batch: Item[] = [];
  for (let pass = 0; pass < passes; pass++) {
    let kept = 0;
    for await (const row of shardRows<PairRow>(cfg.shards, manifest)) {
      const format = draws.next(row.kind);
      const index = position++;
      if (index < skipTo) {
        kept++; // skipped, not dropped: the pass has pairs
        continue;
      }
      const ex = buildExample(row, format, tokenizer, opts);
      if (!ex) {
        counts.dropped++;
        continue;
      }
      kept++;
      const refOf = (side: string) => (row as unknown as Record<string, unknown>)[`ref_${side}_${format}`];
      const [rc, rr] = [refOf('chosen'), refOf('rejected')];
      batch.push({
        index,
        ex,
        ref: useRefs && typeof rc === 'number' && typeof rr === 'number' ? [rc, rr] : null,
      });
      if (batch.length === batchSize) {
        counts.sent += batch.length;
        yield frame(batch, position);
        batch = [];
      }
    }
    if (!kept) break; // every pair too long: another pass would send nothing either
  }
  if (batch.length) {
    counts.sent += batch.length;
    yield frame(batch, position);
  }
}

/** The tokenizer of a training run (--tokenizer, else the model's); a missing model folder is named. */
function modelTokenizer(cfg: TrainConfig): Tokenizer {
  if (!existsSync(cfg.model)) throw new Error(`model folder not found: ${cfg.model}`);
  return cfg.tokenizer ? loadTokenizer(cfg.tokenizer, 'tokenizer folder') : loadTokenizer(cfg.model);
}

/** Write the batch stream of a run to a file, for `torchrun … python/train_worker.py --input FILE`. */
export async function exportBatches(
  cfg: TrainConfig,
  file: string,
  log: (line: string) => void = () => {},
): Promise<{ dropped: number; sent: number }> {
  const opts = trainOptions(cfg);
  const manifest = readManifest(cfg.shards);
  const tokenizer = modelTokenizer(cfg); // before the file is made
  const out = createWriteStream(file);
  const counts = { dropped: 0, sent: 0 };
  const refs = precomputedRefs(manifest, opts, log);
  for await (const buf of batchFrames(cfg, tokenizer, manifest, opts, 0, counts, refs))
    if (!out.write(buf)) await once(out, 'drain');
  out.end(Buffer.alloc(4));
  await once(out, 'finish');
  return counts;
}

/** The example options of a training run (the trainer's defaults where `cfg` says nothing). */
export function trainOptions(cfg: Partial<TrainOptions> & Pick<TrainConfig, 'loss'>): TrainOptions {
  return {
    fimRate: cfg.fimRate ?? TRAIN_DEFAULTS.fimRate,
    seed: cfg.seed ?? TRAIN_DEFAULTS.seed,
    maxLen: cfg.maxLen ?? TRAIN_DEFAULTS.maxLen,
    instructionAlways: cfg.instructionAlways ?? false,
    focal: cfg.focal ?? (cfg.loss === 'target-dpo' || cfg.loss === 'target-rpo'),
    family: cfg.family ?? 'qwen',
  };
}
