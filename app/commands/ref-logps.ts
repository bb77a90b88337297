import type { OptionTable } from '../../lib/options.ts';
import { command } from '../command.ts';
import { DEFAULT_FAMILY } from '../../lib/code/prompts.ts';
import { precomputeReference } from '../../lib/train/reference.ts';
import { TRAIN_DEFAULTS } from '../../lib/train/trainer.ts';

export const REF_OPTIONS = {
  shards: { type: 'string', required: true, arg: 'DIR', help: "a pipeline's output folder" },
  'model-dir': {
    type: 'string',
    required: true,
    arg: 'DIR',
    help: 'the reference model: an ONNX export (model.onnx + tokenizer.json) or a Hugging Face folder',
  },
  engine: {
    type: 'choice',
    choices: ['onnx', 'torch'],
    arg: 'E',
    help: 'onnx (onnxruntime, in this process) or torch (the .venv PyTorch worker); default: onnx where DIR has model.onnx',
  },
  out: {
    type: 'string',
    required: true,
    arg: 'DIR',
    help: 'the shards again, with ref_chosen_logp/ref_rejected_logp',
  },
  loss: {
    type: 'choice',
    choices: ['dpo', 'target-dpo', 'target-rpo'],
    arg: 'L',
    default: TRAIN_DEFAULTS.loss,
    help: 'the loss the log-probs are for (Target-DPO counts only the D− tokens)',
  },
  'max-len': { type: 'int', default: TRAIN_DEFAULTS.maxLen, help: 'pairs longer than N tokens get none' },
} as const satisfies OptionTable;

export const { USAGE, help, options, main } = command({
  usage: 'structflow ref-logps --shards DIR --model-dir DIR --out DIR [options]',
  options: REF_OPTIONS,
  run: async (v) => {
    const n = await precomputeReference(
      v.shards,
      v['model-dir'],
      v.out,
      {
        maxLen: v['max-len'],
        instructionAlways: false,
        focal: v.loss !== 'dpo',
        family: DEFAULT_FAMILY,
      },
      v.engine,
    );
    process.stderr.write(`reference log-probs of ${n} pairs → ${v.out}/manifest.json\n`);
  },
});
