import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type * as Ort from 'onnxruntime-node';
import { lazy } from '../lazy.ts';
import type { Column } from '../arrow.ts';
import { loadTokenizer } from '../generators/onnx.ts';
import { readManifest, shardRows, writeManifest } from '../manifest.ts';
import { clearShards, writeShards } from '../shards.ts';
import { ROOT } from '../root.ts';
import { buildExample, type Example, type PairRow, type Side, type TrainOptions } from './examples.ts';
import { torchPython } from './trainer.ts';

const ort = lazy<typeof import('onnxruntime-node')>('onnxruntime-node');

/** Sum of log-probabilities of the counted tokens of one side, from an ONNX causal LM (as python/dpo.py). */
export async function onnxLogp(session: Ort.InferenceSession, side: Side): Promise<number> {
  const n = side.ids.length;
  const out = await session.run({
    input_ids: new (ort().Tensor)('int64', BigInt64Array.from(side.ids.map(BigInt)), [1, n]),
  });
  const logits = out.logits!.data as Float32Array;
  const vocab = logits.length / n;
  let sum = 0;
  for (let t = 1; t < n; t++) {
    if (!side.mask[t]) continue;
    const row = logits.subarray((t - 1) * vocab, t * vocab);
    let max = -Infinity;
    for (const x of row) if (x > max) max = x;
    let z = 0;
    for (const x of row) z += Math.exp(x - max);
    sum += row[side.ids[t]!]! - max - Math.log(z);
  }
  return sum;
}

export const REF_COLUMNS = [
  'ref_chosen_fim',
  'ref_rejected_fim',
  'ref_chosen_chat',
  'ref_rejected_chat',
] as const;

/** TRL's names (DPOTrainer's collator and loss): the drawn format's values, on `--trl pretokenized` rows. */
export const TRL_REF_COLUMNS = ['ref_chosen_logps', 'ref_rejected_logps'] as const;

const same = (a: readonly number[], b: ArrayLike<number>) =>
  a.length === b.length && a.every((x, i) => x === Number(b[i]));

/**
 * A pretokenized row's TRL reference columns: the log-probs of its own format, but only where the reference
 * model's tokenizer gives the row's very ids (else they would score other tokens than TRL trains on).
 */
function trlRefs(row: Record<string, unknown>, ex: Example | null, refs: Record<string, number | null>) {
  const ids = (k: string) => (row[k] ?? []) as ArrayLike<number>;
  const prompt = Array.from(ids('prompt_ids'), Number);
  const fits =
    !!ex &&
    same(ex.chosen.ids, [...prompt, ...Array.from(ids('chosen_ids'), Number)]) &&
    same(ex.rejected.ids, [...prompt, ...Array.from(ids('rejected_ids'), Number)]);
  const f = String(row.trl_format);
  return {
    ref_chosen_logps: fits ? refs[`ref_chosen_${f}`]! : null,
    ref_rejected_logps: fits ? refs[`ref_rejected_${f}`]! : null,
  };
}

/** What computes the reference log-probs: onnxruntime in this process, or PyTorch in python/ref_worker.py. */
export type RefEngine = 'onnx' | 'torch';

/** The engine for a model folder: ONNX where it has `model.onnx`, else PyTorch (a Hugging Face folder). */
export const refEngine = (modelDir: string, engine?: RefEngine): RefEngine =>
  engine ?? (existsSync(join(modelDir, 'model.onnx')) ? 'onnx' : 'torch');

interface Scorer {
  /** The summed log-probs of the counted tokens of each side. */
  score(sides: Side[]): Promise<number[]>;
  close(): Promise<void>;
}

async function onnxScorer(modelDir: string): Promise<Scorer> {
  const session = await ort().InferenceSession.create(join(modelDir, 'model.onnx'));
  return {
    score: async (sides) => {
      const out: number[] = [];
      for (const s of sides) out.push(await onnxLogp(session, s));
      return out;
    },
    close: async () => session.release(),
  };
}

/** One pair a line to the PyTorch worker and its answer back, in order (the pair's sides in one batch). */
function torchScorer(modelDir: string): Scorer {
  const worker = spawn(torchPython(), [join(ROOT, 'python', 'ref_worker.py'), '--model', modelDir], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  worker.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-3000)));
  const exited = once(worker, 'exit') as Promise<[number | null, string | null]>;
  const replies = createInterface({ input: worker.stdout })[Symbol.asyncIterator]();
  const failed = async () => {
    const [code] = await exited;
    return new Error(
      `the reference worker failed (exit ${code}): ${stderr.trim().split('\n').slice(-5).join('\n')}`,
    );
  };
  return {
    score: async (sides) => {
      worker.stdin.write(JSON.stringify(sides.map((s) => ({ ids: s.ids, mask: s.mask }))) + '\n');
      const reply = await replies.next();
      if (reply.done) throw await failed();
      return JSON.parse(reply.value) as number[];
    },
    close: async () => {
      worker.stdin.end();
      const [code] = await exited;
      if (code !== 0) throw await failed();
    },
  };
}

/**
 * Precomputes the reference model's log-probabilities of every pair, in both formats (the FIM/chat draw is
 * the trainer's), and writes the shards again with four more columns, so the trainer loads no reference
 * model. The model is an ONNX export (onnxruntime here) or a PyTorch one (`refEngine`). The example
 * options are recorded in the manifest; the trainer uses the columns only when its own options match.
 */
export async function precomputeReference(
  shards: string,
  modelDir: string,
  out: string,
  opts: Omit<TrainOptions, 'fimRate' | 'seed'>,
  engine?: RefEngine,
): Promise<number> {
  const m = readManifest(shards);
  const pretokenized = m.schema.some((c) => c.name === 'trl_format');
  const tok = loadTokenizer(modelDir);
  const used = refEngine(modelDir, engine);
  const scorer = used === 'onnx' ? await onnxScorer(modelDir) : torchScorer(modelDir);
  clearShards(out);
  async function* rows(): AsyncGenerator<Record<string, unknown>> {
    for await (const raw of shardRows(shards, m)) {
      const row = raw as unknown as PairRow;
      const refs: Record<string, number | null> = Object.fromEntries(REF_COLUMNS.map((c) => [c, null]));
      const built: Record<string, Example | null> = {};
      for (const format of ['fim', 'chat'] as const) {
        if (format === 'fim' && row.kind === 'full') continue;
        built[format] = buildExample(row, format, tok, { ...opts, fimRate: 0, seed: 0 }) ?? null;
      }
      const formats = (['fim', 'chat'] as const).filter((f) => built[f]);
      const sides = formats.flatMap((f) => [built[f]!.chosen, built[f]!.rejected]);
      const scores = sides.length ? await scorer.score(sides) : [];
      formats.forEach((f, i) => {
        refs[`ref_chosen_${f}`] = scores[2 * i]!;
        refs[`ref_rejected_${f}`] = scores[2 * i + 1]!;
      });
      const r = raw as Record<string, unknown>;
      yield {
        ...raw,
        ...refs,
        ...(pretokenized ? trlRefs(r, built[String(r.trl_format)] ?? null, refs) : {}),
      };
    }
  }
  const columns: Column<Record<string, unknown>>[] = [
    ...m.schema.map((c) => ({ name: c.name, type: c.type, nullable: c.nullable })),
    ...[...REF_COLUMNS, ...(pretokenized ? TRL_REF_COLUMNS : [])].map((name) => ({
      name,
      type: 'float64' as const,
      nullable: true,
    })),
  ];
  let written;
  try {
    written = await writeShards(rows(), {
      dir: out,
      columns,
      rowsPerShard: Math.max(...m.shards.map((s) => s.rows), 1),
    });
  } finally {
    await scorer.close();
  }
  writeManifest(out, {
    ...m,
    created_at: new Date().toISOString(),
    shards: written.map((s, i) => ({ ...m.shards[i], ...s })),
    schema: columns.map((c) => ({ name: c.name, type: c.type, nullable: !!c.nullable })),
    config: { ...m.config, reference: { model: modelDir, engine: used, ...opts } },
  });
  return written.reduce((n, s) => n + s.rows, 0);
}
