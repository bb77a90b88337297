import { pipe, type OperatorFunction } from 'rxjs';
import type { z } from 'zod';
import type { Column } from './arrow.ts';
import { columnsOf } from './columns.ts';
import type { RunContext } from './context.ts';
import type { Manifest } from './manifest.ts';
import type { ReportSpec } from './report.ts';
import { parseOptions, type OptionTable, type OptionValues } from './options.ts';

/** One per-record step of a pipeline: a name (`--until` stops after it), its operator, what it emits. */
export interface Step {
  name: string;
  /** The step's operator, made per run from its context. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each step's types are its operator's business
  op: (ctx: RunContext) => OperatorFunction<any, any>;
  output: z.ZodObject;
  /** Checks, before a run starts, that what the step needs is there (throws with the fix): a tool on this
   *  machine (with its install command), a model that loads, a server that answers. */
  needs?: () => void | Promise<void>;
}

/**
 * The global step that ends a pipeline: it sees every record of the per-record steps before the first
 * comes out (the curriculum sort), so it runs over the committed records, again at every start.
 */
export interface FinalStep {
  name: string;
  /** Runs over every record of the per-record steps, yielding the output rows. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- as for Step
  run: (ctx: RunContext, records: AsyncIterable<any>) => AsyncIterable<any>;
  output: z.ZodObject;
  /** Extra manifest fields of a shard, from its rows (a key range, say). */
  describe?: (rows: never[]) => Record<string, unknown>;
}

/**
 * A pipeline: its options and, from their values, its steps in order. `given` holds objects a program
 * hands in instead of what the options would build (a generator of its own, say).
 */
export interface Pipeline<T extends OptionTable = OptionTable, G = Record<string, unknown>> {
  name: string;
  /** One line for `structflow help`. */
  summary: string;
  options: T;
  /** What its report shows beyond the stage table. */
  report?: ReportSpec;
  /** Files written beside the manifest, from it (file name → content): entries for other tools. */
  sidecars?: (m: Manifest) => Record<string, string>;
  /** The steps (and the final step) from the option values; `given` replaces what the options would build. */
  steps: (cfg: OptionValues<T>, given?: G) => { steps: Step[]; final?: FinalStep };
  /** The module it was loaded from (`structflow run ./my-pipeline.ts`): merge and slurm load it again from there. */
  module?: string;
}

/** Declares a pipeline (the identity, for the option values' types). */
export const definePipeline = <T extends OptionTable, G>(p: Pipeline<T, G>): Pipeline<T, G> => p;

/** What the runner needs of a pipeline stopped at a step: the composed operator, the final step, the columns. */
export interface Plan {
  names: string[];
  /** Checks the kept steps' needs in order: call before the run starts, so a missing tool or model is not
   *  found hours in, or committed as every record's reject. */
  needs: () => Promise<void>;
  /** The kept steps, composed into one operator. */
  op: (ctx: RunContext) => OperatorFunction<unknown, unknown>;
  final?: FinalStep;
  columns: Column<unknown>[];
}

/** The steps up to and including `until` (default: all, with the final step); its columns from the last schema. */
export function plan(steps: Step[], final: FinalStep | undefined, until?: string): Plan {
  const names = [...steps.map((s) => s.name), ...(final ? [final.name] : [])];
  const whole = until === undefined || until === final?.name;
  const end = whole ? steps.length : steps.findIndex((s) => s.name === until) + 1;
  if (end === 0) throw new Error(`--until must be one of ${names.join('|')}, got "${until}"`);
  const kept = steps.slice(0, end);
  const last = whole ? final : undefined;
  const output = last ? last.output : kept[kept.length - 1]!.output;
  return {
    names,
    needs: async () => {
      for (const s of kept) await s.needs?.();
    },
    op: (ctx) =>
      kept.reduce<OperatorFunction<unknown, unknown>>(
        (acc, s) => pipe(acc, s.op(ctx)),
        (x) => x,
      ),
    ...(last ? { final: last } : {}),
    columns: columnsOf(output),
  };
}

/**
 * A pipeline's plan for programs: option values by flag name (the defaults for the rest), stopped after
 * `until` (default: all of it).
 *
 * @example
 * const { op } = compose(structurecoder, { 'pair-mode': 'reference' }, { until: 'pair' });
 * pullThrough(readProblems(ctx, 'apps.jsonl'), op(ctx));
 */
export function compose<T extends OptionTable, G>(
  p: Pipeline<T, G>,
  values: Partial<OptionValues<T>> = {},
  opts: { until?: string; given?: G } = {},
): Plan {
  const cfg = { ...parseOptions(p.options, []).values, ...values };
  const { steps, final } = p.steps(cfg, opts.given);
  return plan(steps, final, opts.until);
}
