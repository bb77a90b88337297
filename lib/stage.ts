import { defer, from, Observable, type OperatorFunction } from 'rxjs';
import { concatMap, mergeMap } from 'rxjs/operators';
import type { z } from 'zod';
import type { RunContext, StageStats } from './context.ts';
import { describeZodError } from './records.ts';

/** Thrown by a stage function to send its input record to the rejects output with a reason. */
export class Rejected extends Error {
  constructor(
    readonly reason: string,
    readonly detail?: string,
  ) {
    super(detail ? `${reason}: ${detail}` : reason);
  }
}

/**
 * Thrown by a stage function when going on is pointless (the model server cannot be reached at all):
 * it is not a reject of one record but stops the run, with its message on the terminal.
 */
export class Fatal extends Error {}

/** Per-record work of a stage: zero outputs is not allowed, reject with a reason instead. */
export type StageFn<In, Out> = (record: In) => Out[] | Promise<Out[]>;

/** What `stage()` needs to know of a stage: its name, the schemas of its input and output, and a record's id. */
export interface StageSpec<In, Out> {
  /** Name used in counters, progress and the rejects file. */
  name: string;
  input: z.ZodType<In>;
  output: z.ZodType<Out>;
  /** The record id written to the rejects file. */
  id: (record: In) => string;
  /** Records worked on at once; outputs keep input order whatever the value. Default 1. */
  concurrency?: number;
}

/**
 * The one piece of plumbing every stage goes through: validates input and output records against
 * the stage's schemas, counts them, turns failures into rejects with a reason, and runs the stage
 * function with bounded, order-preserving concurrency.
 *
 * `init` is called once per subscription with the stage's accounting (bound to its name) and returns the
 * stage function, so state that must not leak between runs (such as "first solution of this problem
 * seen") lives in its closure.
 *
 * @example
 * const upper = (ctx: RunContext) =>
 *   stage(ctx, { name: 'upper', input: S, output: S, id: (r) => r.id }, () => (r) => [{ ...r, text: r.text.toUpperCase() }]);
 */
export function stage<In, Out>(
  ctx: RunContext,
  spec: StageSpec<In, Out>,
  init: (stats: StageStats) => StageFn<In, Out>,
): OperatorFunction<In, Out> {
  const stats = ctx.stage(spec.name);
  const counters = stats.counters;
  const reject = (id: string, reason: string, detail?: string) => stats.reject(id, reason, detail);
  return (source) =>
    defer(() => {
      const fn = init(stats);
      const timed = async (record: In): Promise<Out[]> => {
        const t0 = performance.now();
        try {
          return await work(record);
        } finally {
          stats.busy(performance.now() - t0);
        }
      };
      const work = async (record: In): Promise<Out[]> => {
        counters.in++;
        const parsed = spec.input.safeParse(record);
        if (!parsed.success) {
          reject(safeId(spec.id, record), 'invalid_input', describeZodError(parsed.error));
          return [];
        }
        const id = spec.id(record);
        let outs: Out[];
        try {
          outs = await fn(record);
        } catch (err) {
          if (err instanceof Fatal) throw err;
          if (err instanceof Rejected) reject(id, err.reason, err.detail);
          else reject(id, 'error', err instanceof Error ? err.message : String(err));
          return [];
        }
        if (outs.length === 0) {
          reject(id, 'no_output', 'the stage produced nothing for this record');
          return [];
        }
        for (const o of outs) {
          const check = spec.output.safeParse(o);
          if (!check.success) {
            reject(id, 'invalid_output', describeZodError(check.error));
            return [];
          }
        }
        counters.passed++;
        counters.out += outs.length;
        return outs;
      };
      return source.pipe(
        orderedMap(timed, spec.concurrency ?? 1),
        concatMap((outs) => from(outs)),
      );
    });
}

function safeId<In>(id: (r: In) => string, record: In): string {
  try {
    return id(record) || '(no id)';
  } catch {
    return '(no id)';
  }
}

/** mergeMap with a concurrency bound whose results come out in input order. */
export function orderedMap<T, R>(fn: (v: T) => Promise<R>, concurrency: number): OperatorFunction<T, R> {
  if (concurrency <= 1) return concatMap((v) => from(fn(v)));
  return (source) =>
    new Observable<R>((subscriber) => {
      const done = new Map<number, R>();
      let next = 0;
      const sub = source
        .pipe(mergeMap((v, i) => from(fn(v).then((r) => [i, r] as const)), concurrency))
        .subscribe({
          next: ([i, r]) => {
            done.set(i, r);
            while (done.has(next)) {
              const value = done.get(next) as R;
              done.delete(next++);
              subscriber.next(value);
            }
          },
          error: (e) => subscriber.error(e),
          complete: () => subscriber.complete(),
        });
      return () => sub.unsubscribe();
    });
}
