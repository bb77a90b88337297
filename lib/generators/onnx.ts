import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { Tokenizer as HfTokenizer } from '@huggingface/tokenizers';
import type * as Ort from 'onnxruntime-node';
import type { Tokenizer } from '../code/tokenizer.ts';
import { lazy } from '../lazy.ts';
import { hash32, prng } from '../random.ts';
import { Fatal } from '../stage.ts';
import { folderStamp } from '../units.ts';
import type { Generation, GenerationRequest, Generator } from './types.ts';

const ort = lazy<typeof import('onnxruntime-node')>('onnxruntime-node');

/** The local model folder and its limits. */
export interface OnnxOptions {
  /** A folder with `model.onnx` (input `input_ids` [batch, seq] → `logits` [batch, seq, vocab]),
   *  `tokenizer.json`, and optionally `tokenizer_config.json` and `config.json` (`max_positions`). */
  modelDir: string;
}

/**
 * Load a Hugging Face tokenizer from a model folder with the JS tokenizer library. A missing folder or
 * tokenizer.json is named (`what`: the folder's role, as the command line calls it), not a raw ENOENT.
 */
export function loadTokenizer(modelDir: string, what = 'model folder'): Tokenizer {
  if (!existsSync(modelDir)) throw new Error(`${what} not found: ${modelDir}`);
  const file = join(modelDir, 'tokenizer.json');
  if (!existsSync(file)) throw new Error(`${what} ${modelDir} has no tokenizer.json`);
  let config: object = {};
  try {
    config = JSON.parse(readFileSync(join(modelDir, 'tokenizer_config.json'), 'utf8')) as object;
  } catch {
    // optional
  }
  try {
    return new HfTokenizer(JSON.parse(readFileSync(file, 'utf8')) as object, config);
  } catch (err) {
    throw new Error(`${file} does not load: ${(err as Error).message}`);
  }
}

/**
 * Nucleus sampling from one row of logits: temperature, then the smallest set of tokens whose
 * probability reaches `topP`. Temperature 0 is greedy.
 */
export function sampleToken(
  logits: ArrayLike<number>,
  temperature: number,
  topP: number,
  rand: () => number,
): number {
  const n = logits.length;
  let best = 0;
  for (let i = 1; i < n; i++) if (logits[i]! > logits[best]!) best = i;
  if (temperature <= 0) return best;
  const max = logits[best]!;
  const probs = new Float64Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) sum += probs[i] = Math.exp((logits[i]! - max) / temperature);
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => probs[b]! - probs[a]! || a - b);
  let kept = 0;
  let mass = 0;
  while (kept < n && mass < topP * sum) mass += probs[order[kept++]!]!;
  let r = rand() * mass;
  for (let k = 0; k < kept; k++) {
    r -= probs[order[k]!]!;
    if (r <= 0) return order[k]!;
  }
  return order[kept - 1]!;
}

/**
 * A local causal LM through onnxruntime-node: tokenized with the model's own `tokenizer.json` (special
 * tokens such as the FIM markers in the prompt are recognised as such), sampled token by token with
 * temperature and top-p from a seeded generator, stopped at the end-of-text token, a stop string or
 * `max_tokens`. Each of the `n` samples has its own seed derived from (seed, prompt, sample index).
 */
export class OnnxGenerator implements Generator {
  readonly name = 'onnx';
  readonly continues = true;
  readonly model: string;
  readonly identity?: string;
  private loaded?: Promise<{ tokenizer: Tokenizer; session: Ort.InferenceSession }>;
  private readonly maxPositions: number;
  private readonly eos: number | undefined;

  constructor(private readonly opts: OnnxOptions) {
    this.model = basename(opts.modelDir);
    // a model retrained into the same folder is another model: its samples are not the old one's
    if (existsSync(opts.modelDir)) this.identity = `${this.model} ${folderStamp(opts.modelDir)}`;
    let config: { max_positions?: number; eos_token_id?: number } = {};
    try {
      config = JSON.parse(readFileSync(join(opts.modelDir, 'config.json'), 'utf8')) as typeof config;
    } catch {
      // optional
    }
    this.maxPositions = config.max_positions ?? 2048;
    this.eos = config.eos_token_id;
  }

  /** Loads the tokenizer and the session, which the run's requests then share (a model loads once). */
  async ready(): Promise<void> {
    await this.load();
  }

  // A model that does not load fails every record alike: Fatal, not a reject of each (lib/stage.ts)
  private load() {
    return (this.loaded ??= (async () => {
      const dir = this.opts.modelDir;
      const model = join(dir, 'model.onnx');
      const fix = '--model-dir must hold the model exported to ONNX (model.onnx) and its tokenizer.json';
      if (!existsSync(dir)) throw new Fatal(`model folder not found: ${dir}; ${fix}`);
      if (!existsSync(model)) throw new Fatal(`model folder ${dir} has no model.onnx; ${fix}`);
      let tokenizer: Tokenizer;
      try {
        tokenizer = loadTokenizer(dir);
      } catch (err) {
        throw new Fatal(`${(err as Error).message}; ${fix}`);
      }
      try {
        return { tokenizer, session: await ort().InferenceSession.create(model) };
      } catch (err) {
        throw new Fatal(`${model} does not load: ${(err as Error).message}`);
      }
    })());
  }

  /** `n` samples of the prompt, each decoded token by token with temperature and top-p. */
  async generate(req: GenerationRequest): Promise<Generation[]> {
    const { tokenizer, session } = await this.load();
    const promptIds = tokenizer.encode(req.prompt, { add_special_tokens: false }).ids;
    const eos = this.eos ?? tokenizer.encode('<|endoftext|>', { add_special_tokens: false }).ids[0];
    const { n, max_tokens, temperature, top_p, stop, seed } = req.params;
    const out: Generation[] = [];
    for (let k = 0; k < n; k++) {
      const rand = prng(hash32(`${k}\u0000${req.prompt}`, seed));
      const ids = [...promptIds];
      const generated: number[] = [];
      let text = '';
      for (let step = 0; step < max_tokens; step++) {
        const window = ids.slice(-this.maxPositions);
        const input = new (ort().Tensor)('int64', BigInt64Array.from(window.map((x) => BigInt(x))), [
          1,
          window.length,
        ]);
        const result = await this.infer(session, input);
        const logits = result.logits!.data as Float32Array;
        const vocab = logits.length / window.length;
        const next = sampleToken(logits.subarray(logits.length - vocab), temperature, top_p, rand);
        if (next === eos) break;
        ids.push(next);
        generated.push(next);
        text = tokenizer.decode(generated, { skip_special_tokens: false });
        if (stop.some((s) => text.includes(s))) break;
      }
      out.push({ text, origin: this.model });
    }
    return out;
  }

  // the window keeps every input within the model's positions, so a failing run is the model's or the machine's
  private async infer(session: Ort.InferenceSession, input: Ort.Tensor) {
    try {
      return await session.run({ input_ids: input });
    } catch (err) {
      throw new Fatal(`${join(this.opts.modelDir, 'model.onnx')} failed to run: ${(err as Error).message}`);
    }
  }
}
