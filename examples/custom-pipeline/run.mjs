// The same pipeline run from a program: one call gives what `structflow run` gives.
import { loadPipeline, runPipeline } from 'structflow';

const [input = 'data/katas.jsonl', out = 'out-program'] = process.argv.slice(2);
const pipeline = await loadPipeline('./pipeline.ts'); // a TypeScript module, no build step
const manifest = await runPipeline(pipeline, { input, out, quiet: true, 'max-level': 3 });
console.log(`${manifest.rows} rows in ${manifest.shards.length} shard(s) → ${out}`);
