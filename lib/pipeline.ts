import { pipe, type OperatorFunction } from 'rxjs';
import type { z } from 'zod';
import type { Column } from './arrow.ts';
import { columnsOf } from './columns.ts';
import type { RunContext } from './context.ts';
import type { Manifest } from './manifest.ts';
import type { ReportSpec } from './report.ts';
import { parseOptions, type OptionTable, type OptionValues } from './options.ts';

/**
 * One per-record step of a pipeline: a name (`--until` stops after it), its operator from records `In` to
 * records `Out`, the schema of what it emits. `definePipeline` checks that each step takes what the one before
 * it emits. `Step` alone (any records) is what the runner handles once a pipeline is declared.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the runner's view: checked at definePipeline
export interface Step<In = any, Out = any> {
  name: string;
  /** The step's operator, made per run from its context. */
  op: (ctx: RunContext) => OperatorFunction<In, Out>;
  output: z.ZodObject;
  /** Checks, before a run starts, that what the step needs is there (throws with the fix): a tool on this
   *  machine (with its install command), a model that loads, a server that answers. */
  needs?: () => void | Promise<void>;
}

/**
 * The global step that ends a pipeline: it sees every record of the per-record steps before the first
 * comes out (the curriculum sort), so it runs over the committed records, again at every start.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- as for Step
export interface FinalStep<In = any, Out = any> {
  name: string;
  /** Runs over every record of the per-record steps (`In`: what the last of them emits), yielding the output rows. */
  run: (ctx: RunContext, records: AsyncIterable<In>) => AsyncIterable<Out>;
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
  steps: (cfg: OptionValues<T>, given?: G) => Steps;
  /** The module it was loaded from (`structflow run ./my-pipeline.ts`): merge and slurm load it again from there. */
  module?: string;
}

/** What a pipeline's `steps` returns: the per-record steps in order and the optional final step. */
export interface Steps {
  steps: readonly Step[];
  final?: FinalStep;
}

/**
 * Declares a pipeline: the identity, for the types. The option values are typed from `options`, and the steps
 * must chain: a step whose input is not what the step before it emits (or a final step that does not take
 * what the last step emits) fails to compile, naming both steps (`steps_do_not_chain`). A list of steps
 * that TypeScript sees as a fixed list, or a choice of such lists (a spread of `[] | [step]`, a `cond ? [a]
 * : [b, c]`), is checked in every form; a list of unknown length (`Step[]`) is not.
 */
export const definePipeline = <T extends OptionTable, G, const R extends Steps>(
  p: PipelineDeclaration<T, G, R> &
    ([Unchained<R>] extends [never] ? unknown : { steps_do_not_chain: Unchained<R> }),
): Pipeline<T, G> => p as Pipeline<T, G>;

/** A pipeline as `definePipeline` takes it: its steps' own types, `R`, kept for the check. */
export type PipelineDeclaration<T extends OptionTable, G, R extends Steps> = Omit<Pipeline<T, G>, 'steps'> & {
  /** As `Pipeline.steps`, returning the steps with their own types. */
  steps: (cfg: OptionValues<T>, given?: G) => R;
};

type InOf<S> = S extends { op: (ctx: never) => OperatorFunction<infer I, unknown> } ? I : never;
type OutOf<S> = S extends { op: (ctx: never) => OperatorFunction<never, infer O> } ? O : never;
type NameOf<S> = S extends { name: infer N } ? N : never;

/** Where two steps of a list do not chain: the step before, the step, what it gets and what it takes. */
export interface ChainBreak<After = unknown, Name = unknown, Gets = unknown, Takes = unknown> {
  after: After;
  step: Name;
  gets: Gets;
  takes: Takes;
}

// walks a fixed list from the front; ends in ['end', last name, last output], or ['unchecked'] for a list of
// unknown length
type FirstBreak<S, PrevName, PrevOut> = S extends readonly [infer H, ...infer Rest]
  ? [PrevOut] extends [InOf<H>]
    ? FirstBreak<Rest, NameOf<H>, OutOf<H>>
    : ChainBreak<PrevName, NameOf<H>, PrevOut, InOf<H>>
  : S extends readonly []
    ? ['end', PrevName, PrevOut]
    : ['unchecked'];

type FinalIn<R> = R extends { final?: FinalStep<infer I, unknown> } ? I : unknown;

/** The breaks of each form the steps may take (never: they chain), the final step's included. */
export type Unchained<R extends Steps> =
  Exclude<
    R['steps'] extends infer S ? (S extends unknown ? FirstBreak<S, never, any> : never) : never, // eslint-disable-line @typescript-eslint/no-explicit-any -- the first step takes whatever the reader gives
    ['unchecked']
  > extends infer B
    ? B extends ['end', infer N, infer O]
      ? [O] extends [FinalIn<R>]
        ? never
        : ChainBreak<N, 'final', O, FinalIn<R>>
      : B
    : never;

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
export function plan(steps: readonly Step[], final: FinalStep | undefined, until?: string): Plan {
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
