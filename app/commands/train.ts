import type { OptionTable } from '../../lib/options.ts';
import { command } from '../command.ts';
import { exportBatches, train, TRAIN_DEFAULTS as D } from '../../lib/train/trainer.ts';

export const TRAIN_OPTIONS = {
  shards: {
    type: 'string',
    required: true,
    arg: 'DIR',
    help: "a pipeline's output folder (manifest.json + shards), read in manifest order",
  },
  model: {
    type: 'string',
    required: true,
    arg: 'DIR',
    help: 'the built-in tiny model folder (model.pt), or a Hugging Face causal LM folder',
  },
  out: { type: 'string', required: true, arg: 'DIR', help: 'checkpoints, metrics.jsonl, metrics.png' },
  loss: {
    type: 'choice',
    choices: ['dpo', 'target-dpo', 'target-rpo'],
    arg: 'L',
    shownDefault: 'target-dpo for Target-DPO shards, else dpo',
    help: 'the loss (a focal loss needs the D− lines of Target-DPO shards)',
  },
  preset: {
    type: 'choice',
    choices: ['structurecoder', 'targetdpo'],
    arg: 'P',
    shownDefault: 'the pipeline that made the shards',
    help: 'beta 0.5 (structurecoder) or 0.1 (targetdpo)',
  },
  beta: { type: 'number', min: 0, help: "override the preset's beta" },
  alpha: { type: 'number', min: 0, help: 'the RPO weight (default 1.0)' },
  lr: { type: 'number', min: 0, default: D.lr, help: 'learning rate' },
  optimizer: {
    type: 'choice',
    choices: ['rmsprop', 'adamw'],
    arg: 'O',
    default: D.optimizer,
    help: 'the optimizer',
  },
  'warmup-ratio': {
    type: 'number',
    min: 0,
    default: D.warmupRatio,
    help: 'warm-up share of the cosine schedule',
  },
  'batch-size': { type: 'int', default: D.batchSize, help: 'pairs per micro-batch' },
  'grad-accum': { type: 'int', default: D.gradAccum, help: 'micro-batches per optimizer step' },
  steps: { type: 'int', help: 'stop after N optimizer steps (default: one pass)' },
  'fim-rate': {
    type: 'number',
    min: 0,
    default: D.fimRate,
    help: 'probability of the FIM format per block pair',
  },
  'max-len': { type: 'int', default: D.maxLen, help: 'drop pairs longer than N tokens' },
  seed: { type: 'int', min: 0, default: D.seed, help: 'seed of the FIM/chat draws and of torch' },
  'checkpoint-every': {
    type: 'int',
    min: 0,
    default: D.checkpointEvery,
    help: 'save a checkpoint every N steps (always at the end; 0: only then)',
  },
  precision: {
    type: 'choice',
    choices: ['fp32', 'bf16'],
    arg: 'P',
    default: D.precision,
    help: 'bf16: bf16 compute over fp32 master weights and optimizer state',
  },
  'gradient-checkpointing': {
    type: 'boolean',
    help: "recompute each decoder layer's activations in the backward pass (less memory, ~1/3 more compute)",
  },
  tokenizer: { type: 'string', arg: 'DIR', help: "folder of the tokenizer.json (default: the model's)" },
  resume: { type: 'boolean', help: 'continue from DIR/checkpoint at the exact next pair' },
  overwrite: {
    type: 'boolean',
    help: 'train again when --out holds a finished training (without it the same training is kept and nothing is done, and one of other settings is refused)',
  },
  'export-batches': {
    type: 'string',
    arg: 'FILE',
    help: 'write the batch stream to FILE instead of training, for several GPUs:\ntorchrun --nproc_per_node N python/train_worker.py --input FILE --model DIR --out DIR --total-steps S [--parallel fsdp]',
  },
} as const satisfies OptionTable;

export const { USAGE, help, options, main } = command({
  usage: 'structflow train --shards DIR --model DIR --out DIR [options]',
  options: TRAIN_OPTIONS,
  run: async (v) => {
    const tokenizer = v.tokenizer ? { tokenizer: v.tokenizer } : {};
    if (v['export-batches']) {
      const to = v['export-batches'];
      const { sent, dropped } = await exportBatches(
        { shards: v.shards, model: v.model, out: v.out, batchSize: v['batch-size'], ...tokenizer },
        to,
      );
      process.stderr.write(`${sent} pairs (${dropped} dropped) → ${to}\n`);
      return;
    }
    await train({
      shards: v.shards,
      model: v.model,
      out: v.out,
      ...(v.loss ? { loss: v.loss } : {}),
      ...(v.preset ? { preset: v.preset } : {}),
      overwrite: v.overwrite,
      optimizer: v.optimizer,
      lr: v.lr,
      warmupRatio: v['warmup-ratio'],
      batchSize: v['batch-size'],
      gradAccum: v['grad-accum'],
      fimRate: v['fim-rate'],
      maxLen: v['max-len'],
      seed: v.seed,
      checkpointEvery: v['checkpoint-every'],
      precision: v.precision,
      gradientCheckpointing: v['gradient-checkpointing'],
      resume: v.resume,
      ...(v.beta !== undefined ? { beta: v.beta } : {}),
      ...(v.alpha !== undefined ? { alpha: v.alpha } : {}),
      ...(v.steps !== undefined ? { steps: v.steps } : {}),
      ...tokenizer,
    });
  },
});
