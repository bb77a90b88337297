import { join } from 'node:path';
import type * as Ort from 'onnxruntime-node';
import { lazy } from '../lazy.ts';
import type { Column } from '../arrow.ts';
import { loadTokenizer } from '../generators/onnx.ts';
import { readManifest, shardRows, writeManifest } from '../manifest.ts';
import { clearShards, writeShards } from '../shards.ts';
import { buildExample, type Example, type PairRow, type Side, type TrainOptions } from './examples.ts';

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

/**
 * Precomputes the reference model's log-probabilities of every pair, in both formats (the FIM/chat draw is
 * the trainer's), from an ONNX export of the reference model, and writes the shards again with four more
 * columns, so the trainer skips the reference forward pass. The example options are recorded in the
 * manifest; the trainer uses the columns only when its own options match.
 */
export async function precomputeReference(
  shards: string,
  modelDir: string,
  out: string,
  opts: Omit<TrainOptions, 'fimRate' | 'seed'>,
): Promise<number> {
  const m = readManifest(shards);
  const pretokenized = m.schema.some((c) => c.name === 'trl_format');
  const tok = loadTokenizer(modelDir);
  const session = await ort().InferenceSession.create(join(modelDir, 'model.onnx'));
  clearShards(out);
  async function* rows(): AsyncGenerator<Record<string, unknown>> {
    for await (const raw of shardRows(shards, m)) {
      const row = raw as unknown as PairRow;
      const refs: Record<string, number | null> = Object.fromEntries(REF_COLUMNS.map((c) => [c, null]));
      const built: Record<string, Example | null> = {};
      for (const format of ['fim', 'chat'] as const) {
        if (format === 'fim' && row.kind === 'full') continue;
        const ex = (built[format] = buildExample(row, format, tok, { ...opts, fimRate: 0, seed: 0 }) ?? null);
        if (!ex) continue;
        refs[`ref_chosen_${format}`] = await onnxLogp(session, ex.chosen);
        refs[`ref_rejected_${format}`] = await onnxLogp(session, ex.rejected);
      }
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
  const written = await writeShards(rows(), {
    dir: out,
    columns,
    rowsPerShard: Math.max(...m.shards.map((s) => s.rows), 1),
  });
  writeManifest(out, {
    ...m,
    created_at: new Date().toISOString(),
    shards: written.map((s, i) => ({ ...m.shards[i], ...s })),
    schema: columns.map((c) => ({ name: c.name, type: c.type, nullable: !!c.nullable })),
    config: { ...m.config, reference: { model: modelDir, ...opts } },
  });
  return written.reduce((n, s) => n + s.rows, 0);
}
