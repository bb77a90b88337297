import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readManifest } from '../../lib/manifest.ts';
import { DATASET_INFO } from '../../pipelines/exports.ts';
import { fixturePairShards, readShardRows, tmp, venvPython } from '../helpers.ts';

// Hugging Face `datasets`, as a user loads our shards: the files in manifest order, no shuffling.
const LOAD = `
import json, sys
from datasets import load_dataset
files = json.loads(sys.argv[1])
ds = load_dataset("parquet", data_files=files, split="train")
print(json.dumps({"features": list(ds.features), "rows": [[r["target_id"], r["curriculum_epoch"], r["rejected_index"]] for r in ds]}))
`;

describe('the shards in the tools people train with', function () {
  this.timeout(300_000);

  it('Hugging Face datasets loads them in manifest order, every column and row', async () => {
    const dir = fixturePairShards();
    const m = readManifest(dir);
    expect(m.shards.length).to.be.greaterThan(1); // the order across files is part of what is checked
    const files = m.shards.map((s) => join(dir, s.file));
    const got = JSON.parse(
      execFileSync(venvPython(), ['-c', LOAD, JSON.stringify(files)], {
        maxBuffer: 64 << 20,
        // no hub, and a cache of its own: the test reads only what it was given
        env: { ...process.env, HF_HUB_OFFLINE: '1', HF_HOME: tmp() },
      }).toString(),
    ) as {
      features: string[];
      rows: [string, number, number][];
    };
    expect(got.features).to.deep.equal(m.schema.map((c) => c.name));
    const ours = (await readShardRows(dir)).map((r) => [r.target_id, r.curriculum_epoch, r.rejected_index]);
    expect(got.rows).to.deep.equal(ours);
  });

  it("LLaMA-Factory's dataset_info.json names every shard, in order, as a ranking dataset of the TRL columns", () => {
    const dir = fixturePairShards();
    const m = readManifest(dir);
    const info = JSON.parse(readFileSync(join(dir, DATASET_INFO), 'utf8')) as Record<
      string,
      Record<string, unknown>
    >;
    expect(Object.values(info).map((e) => e.file_name)).to.deep.equal(m.shards.map((s) => s.file));
    for (const entry of Object.values(info)) {
      expect(entry).to.deep.include({ formatting: 'alpaca', ranking: true });
      expect(entry.columns).to.deep.equal({ prompt: 'prompt', chosen: 'chosen', rejected: 'rejected' });
    }
    expect(Object.keys(info)[0]).to.equal('structurecoder_part_00000');
  });
});
