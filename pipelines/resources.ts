import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunContext } from '../lib/context.ts';
import { GenerationCache } from '../lib/generators/cache.ts';
import { MutationGenerator } from '../lib/generators/mutation.ts';
import { OnnxGenerator } from '../lib/generators/onnx.ts';
import { OpenAIGenerator } from '../lib/generators/openai.ts';
import type { Generator } from '../lib/generators/types.ts';
import type { OptionValues } from '../lib/options.ts';
import { UsageError } from '../lib/options.ts';
import { ExecPool } from '../lib/sandbox/pool.ts';
import type { GENERATION_OPTIONS, SANDBOX_OPTIONS } from './options.ts';

// The resources the pipelines' steps share, built on first use and owned by the run's context.

type SandboxCfg = OptionValues<typeof SANDBOX_OPTIONS> &
  Pick<OptionValues<typeof GENERATION_OPTIONS>, 'cache' | 'no-cache'>;
type GenerationCfg = OptionValues<typeof GENERATION_OPTIONS>;

/** The caches' folder: `--cache`, else under the run's output folder; none with `--no-cache`. */
function cacheDir(ctx: RunContext, cfg: Pick<GenerationCfg, 'cache' | 'no-cache'>): string | undefined {
  if (cfg['no-cache']) return undefined;
  return cfg.cache ?? join(ctx.workDir ?? tmpdir(), 'cache');
}

/** The run's one sandbox pool (label, check and refine share it), closed when the run ends. */
export function sandbox(ctx: RunContext, cfg: SandboxCfg): ExecPool {
  return ctx.use(
    'sandbox',
    () => {
      const dir = cacheDir(ctx, cfg);
      return new ExecPool({
        ...(dir ? { cacheDir: dir } : {}), // one store per folder: its generations and verdicts tables
        ...(cfg.workers ? { workers: cfg.workers } : {}),
        limits: { test_cpu_s: cfg['test-timeout'] },
        stdioCompare: cfg['stdio-compare'],
      });
    },
    (pool) => pool.close(),
  );
}

/** A generator behind the run's generation cache (unless `--no-cache`); `generate` books its hits. */
export function cached(ctx: RunContext, cfg: GenerationCfg, gen: Generator): Generator {
  return ctx.use('generator', () => {
    const dir = cacheDir(ctx, cfg);
    return dir ? new GenerationCache(dir).wrap(gen) : gen;
  });
}

/** The generator the options name (a model loads when the run checks what its steps need, not here). */
export function makeGenerator(cfg: GenerationCfg): Generator {
  if (cfg.generator === 'mutation') return new MutationGenerator();
  if (cfg.generator === 'openai') {
    if (!cfg['base-url'] || !cfg.model)
      throw new UsageError('--generator openai needs --base-url URL and --model NAME');
    return new OpenAIGenerator({
      baseUrl: cfg['base-url'],
      model: cfg.model,
      maxConnectionFailures: cfg['max-connection-failures'],
      ...(process.env.OPENAI_API_KEY ? { apiKey: process.env.OPENAI_API_KEY } : {}),
    });
  }
  if (!cfg['model-dir'])
    throw new UsageError('--generator onnx needs --model-dir DIR (model.onnx and tokenizer.json)');
  return new OnnxGenerator({ modelDir: cfg['model-dir'] });
}

/** Sampling parameters from the options. */
export const params = (cfg: GenerationCfg) => ({ n: cfg.n, seed: cfg.seed });
