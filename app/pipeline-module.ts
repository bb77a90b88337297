import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { UsageError } from '../lib/options.ts';
import type { Pipeline } from '../lib/pipeline.ts';
import { PIPELINES } from '../pipelines/index.ts';
import { didYouMean } from './command.ts';

let tsxRegistered = false;

/** Whether a `run`/`slurm` argument names a pipeline module (a path) rather than a built-in pipeline. */
export const isModulePath = (name: string) => /[/\\]/.test(name) || /\.(m?[jt]s|cts|cjs)$/.test(name);

/**
 * The pipeline of `structflow run|slurm NAME`: a built-in one by name, or the default export of a module of
 * the user's (`./my-pipeline.ts`, `.js`, `.mjs`). A TypeScript module runs without a build step (through tsx,
 * on every supported Node). A usage mistake names what is wrong: the missing name, an unknown one (with the
 * closest name), a missing file, a module whose default export is not a pipeline.
 */
export async function loadPipeline(name: string | undefined): Promise<Pipeline> {
  const available = `available: ${Object.keys(PIPELINES).join(', ')}, or a module path (./my-pipeline.ts)`;
  if (name === undefined || name.startsWith('-'))
    throw new UsageError(`the pipeline name is missing: it comes first, before the options; ${available}`);
  if (!isModulePath(name)) {
    const pipeline = PIPELINES[name];
    if (!pipeline)
      throw new UsageError(
        `unknown pipeline "${name}"; ${available}.${didYouMean(name, Object.keys(PIPELINES))}`,
      );
    return pipeline;
  }
  const file = resolve(name);
  if (!existsSync(file)) throw new UsageError(`no pipeline module at ${file}`);
  const url = pathToFileURL(file).href;
  // tsx's loader, registered for this process (not tsImport's private namespace): the module and this
  // package then share one instance of each module, so a reader it registers is the CLI's reader too
  if (/\.[mc]?ts$/.test(file) && !tsxRegistered) {
    (await import('tsx/esm/api')).register();
    tsxRegistered = true; // once per process: each register() adds another loader
  }
  const mod = (await import(url)) as { default?: unknown };
  const p = mod.default as Partial<Pipeline> | undefined;
  if (!p || typeof p.name !== 'string' || typeof p.steps !== 'function' || typeof p.options !== 'object')
    throw new UsageError(
      `${name}: its default export is not a pipeline (export default definePipeline({ name, summary, options, steps }))`,
    );
  return { ...(p as Pipeline), module: file };
}
