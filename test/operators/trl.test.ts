import { expect } from 'chai';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadTokenizer } from '../../lib/generators/onnx.ts';
import { readManifest } from '../../lib/manifest.ts';
import { ROOT } from '../../lib/root.ts';
import { trainingContext } from '../../lib/train/examples.ts';
import { FIXTURES, readShardRows, tmp, venvPython } from '../helpers.ts';

const CLI = join(ROOT, 'bin', 'structflow.js');

describe('--trl: TRL-native columns in the final output', function () {
  this.timeout(300_000);
  let input: string;
  let out: string;
  const run = (...extra: string[]) => {
    execFileSync(
      'node',
      [CLI, 'run', 'structurecoder', '--input', input, '--out', out, '--quiet', ...extra],
      { stdio: 'pipe' },
    );
    return readManifest(out);
  };
  before(() => {
    const dir = tmp();
    input = join(dir, 'six.jsonl');
    writeFileSync(
      input,
      readFileSync(join(FIXTURES, 'apps.jsonl'), 'utf8').trim().split('\n').slice(0, 6).join('\n') + '\n',
    );
    out = join(dir, 'out');
  });

  it('conversational: the question as the user message, the whole program as the assistant message; datasets reads message lists', async () => {
    const m = run('--trl', 'conversational');
    expect(m.schema.find((c) => c.name === 'prompt')!.type).to.equal('messages');
    const rows = await readShardRows(out);
    expect(rows.length).to.be.greaterThan(10);
    for (const r of rows) {
      const [chosen] = r.chosen as { role: string; content: string }[];
      expect(chosen).to.deep.equal({
        role: 'assistant',
        content: '```python\n' + r.prefix + r.chosen_middle + r.suffix + '```',
      });
      expect((r.prompt as { role: string }[]).map((x) => x.role)).to.deep.equal(['user']);
    }
    const load = `import sys, json\nfrom datasets import load_dataset\nds = load_dataset("parquet", data_files=sys.argv[1:], split="train")\nprint(json.dumps(ds[0]["rejected"]))`;
    const files = m.shards.map((s) => join(out, s.file));
    const first = JSON.parse(
      execFileSync(venvPython(), ['-c', load, ...files], {
        env: { ...process.env, HF_HUB_OFFLINE: '1', HF_HOME: tmp() },
      }).toString(),
    ) as unknown;
    expect(first).to.deep.equal(rows[0]!.rejected);
  });

  it("pretokenized, on the same committed work (a final-step setting): the trainer's context and responses, as token ids", async () => {
    const m = run('--trl', 'pretokenized', '--trl-tokenizer', join(FIXTURES, 'tiny-model'));
    expect(
      (JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as { units: unknown }).units,
    ).to.deep.equal({
      total: 1,
      reused: 1,
      worked: 0,
    });
    const tok = loadTokenizer(join(FIXTURES, 'tiny-model'));
    const rows = await readShardRows(out);
    expect(m.counts.trl).to.deep.include({ in: rows.length + (m.counts.trl!.rejected ?? 0) });
    const formats = new Set<string>();
    for (const r of rows) {
      const format = r.trl_format as 'fim' | 'chat';
      formats.add(format);
      const context = trainingContext(r as never, format, { family: 'qwen', instructionAlways: false });
      expect(
        tok.decode(Array.from(r.prompt_ids as Iterable<number>), { skip_special_tokens: false }),
      ).to.equal(context);
      const chosen = tok.decode(Array.from(r.chosen_ids as Iterable<number>), { skip_special_tokens: false });
      expect(chosen).to.equal(format === 'fim' ? r.chosen_middle + '<|endoftext|>' : r.chosen_middle);
    }
    expect([...formats].sort()).to.deep.equal(['chat', 'fim']); // the trainer's seeded draw, both formats
  });

  it('pretokenized names its tokenizer: without one the run stops before it starts, saying so', () => {
    const r = spawnSync(process.execPath, [
      CLI,
      'run',
      'structurecoder',
      '--input',
      input,
      '--out',
      tmp(),
      '--trl',
      'pretokenized',
    ]);
    expect(r.status).to.equal(2);
    expect(r.stderr.toString()).to.include('--trl pretokenized needs the tokenizer of the model to train');
  });
});
