import type { Manifest } from '../lib/manifest.ts';

export const DATASET_INFO = 'dataset_info.json';

/**
 * LLaMA-Factory's `dataset_info.json` for the shards: one preference (`ranking`) entry per shard in the
 * alpaca layout, named `<pipeline>_part_NNNNN`, so `dataset: a,b,…` with `mix_strategy: concat` and
 * `disable_shuffling: true` trains in manifest (curriculum) order. Only for outputs that have TRL's
 * `prompt`/`chosen`/`rejected` text columns.
 */
export function llamaFactoryInfo(m: Manifest): Record<string, string> {
  const text = (name: string) => m.schema.some((c) => c.name === name && c.type === 'string');
  if (!['prompt', 'chosen', 'rejected'].every(text)) return {};
  const entries = Object.fromEntries(
    m.shards.map((s, i) => [
      `${m.pipeline}_part_${String(i).padStart(5, '0')}`,
      {
        file_name: s.file,
        formatting: 'alpaca',
        ranking: true,
        columns: { prompt: 'prompt', chosen: 'chosen', rejected: 'rejected' },
      },
    ]),
  );
  return { [DATASET_INFO]: JSON.stringify(entries, null, 2) + '\n' };
}
