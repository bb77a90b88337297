import { of, type OperatorFunction, type Subscription } from 'rxjs';

/** How `pullThrough` pulls its source. */
export interface PullOptions {
  /** Source records in flight at once (each runs through the operator on its own). Default 1. */
  concurrency?: number;
  /** Called when a source record is done: through the operator, with every output taken. */
  onDone?: () => void;
}

interface Slot<T> {
  items: T[];
  read: number;
  done: boolean;
  error?: unknown;
  sub?: Subscription;
}

/**
 * Runs an rxjs operator over a pull-based source with real backpressure.
 *
 * rxjs is push-based: `from(asyncIterable)` drains its source as fast as it can, whatever the sink
 * does. Here the source is pulled only while fewer than `concurrency` source records are in flight,
 * and a record stays in flight until the consumer has taken all of its outputs. So a slow consumer
 * slows the source, and memory holds at most `concurrency` records and their outputs.
 * Outputs come out in source order.
 *
 * Each source record is run through `op` as its own small observable, so per-subscription stage
 * state is scoped to one source record (for the StructureCoder pipeline: one problem).
 */
export async function* pullThrough<In, Out>(
  source: AsyncIterable<In> | Iterable<In>,
  op: OperatorFunction<In, Out>,
  options: PullOptions = {},
): AsyncGenerator<Out> {
  const concurrency = Math.max(1, options.concurrency ?? 1);
  const it =
    Symbol.asyncIterator in source
      ? (source as AsyncIterable<In>)[Symbol.asyncIterator]()
      : (source as Iterable<In>)[Symbol.iterator]();
  const slots: Slot<Out>[] = [];
  let exhausted = false;
  let wake: (() => void) | undefined;
  const notify = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };

  try {
    for (;;) {
      while (!exhausted && slots.length < concurrency) {
        const r = await it.next();
        if (r.done) {
          exhausted = true;
          break;
        }
        const slot: Slot<Out> = { items: [], read: 0, done: false };
        slots.push(slot);
        slot.sub = of(r.value)
          .pipe(op)
          .subscribe({
            next: (v) => {
              slot.items.push(v);
              notify();
            },
            error: (e) => {
              slot.error = e;
              slot.done = true;
              notify();
            },
            complete: () => {
              slot.done = true;
              notify();
            },
          });
      }
      const head = slots[0];
      if (!head) return;
      if (head.read < head.items.length) {
        const v = head.items[head.read] as Out;
        head.items[head.read++] = undefined as Out; // let the consumed output be collected
        yield v;
        continue;
      }
      if (head.done) {
        if (head.error !== undefined) throw head.error;
        slots.shift();
        options.onDone?.();
        continue;
      }
      await new Promise<void>((resolve) => (wake = resolve));
    }
  } finally {
    for (const s of slots) s.sub?.unsubscribe();
    await it.return?.();
  }
}
