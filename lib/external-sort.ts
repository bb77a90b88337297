import { parseJson, stringifyJson } from './json.ts';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { readLines } from './lines.ts';

/** Records sorted in memory before a run is spilled to disk, unless told otherwise. */
export const DEFAULT_RUN_SIZE = 20_000;

export interface ExternalSortOptions {
  /** Records sorted in memory at once; beyond that they go to sorted runs on disk. Default 20,000. */
  runSize?: number;
  /** Parent folder of the temporary runs (removed afterwards). Default the OS temp folder. */
  tmpDir?: string;
  /**
   * Runs merged at once (default 16). More runs are first merged in groups of this many into longer runs,
   * because every open run holds a read buffer: memory then stays bounded whatever the input's length.
   */
  fanIn?: number;
  /** Counts runs written (merged runs too), for tests and reports. */
  stats?: { runs: number };
}

/**
 * Sorts a stream of JSON-serialisable records of any length with bounded memory: sorted runs of
 * `runSize` records written to disk as JSON lines, then k-way merges with a binary heap, at most `fanIn`
 * runs at a time. The sort is stable: ties keep input order. With one run only, nothing touches the disk.
 */
export async function* externalSort<T>(
  source: AsyncIterable<T>,
  compare: (a: T, b: T) => number,
  opts: ExternalSortOptions = {},
): AsyncGenerator<T> {
  const runSize = opts.runSize ?? DEFAULT_RUN_SIZE;
  type Item = { v: T; seq: number };
  const cmp = (a: Item, b: Item) => compare(a.v, b.v) || a.seq - b.seq;
  let buf: Item[] = [];
  let seq = 0;
  let dir: string | undefined;
  const runs: string[] = [];
  const fanIn = Math.max(2, opts.fanIn ?? 16);
  let written = 0;
  const writeRun = async (items: Iterable<Item> | AsyncIterable<Item>) => {
    dir ??= mkdtempSync(join(opts.tmpDir ?? tmpdir(), 'sf-sort-'));
    const path = join(dir, `run-${written++}.jsonl`);
    const out = createWriteStream(path);
    for await (const it of items) {
      if (!out.write(stringifyJson([it.seq, it.v]) + '\n')) await once(out, 'drain');
    }
    out.end();
    await once(out, 'finish');
    if (opts.stats) opts.stats.runs++;
    return path;
  };
  const spill = async () => {
    buf.sort(cmp);
    runs.push(await writeRun(buf));
    buf = [];
  };
  try {
    for await (const v of source) {
      buf.push({ v, seq: seq++ });
      if (buf.length >= runSize) await spill();
    }
    if (runs.length === 0) {
      buf.sort(cmp);
      for (const it of buf) yield it.v;
      return;
    }
    if (buf.length) await spill();
    while (runs.length > fanIn) {
      const group = runs.splice(0, fanIn);
      runs.push(await writeRun(merge(group, cmp)));
      for (const r of group) rmSync(r);
    }
    for await (const it of merge(runs, cmp)) yield it.v;
  } finally {
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
}

/** The records of sorted runs, merged, with their input sequence numbers (which keep the sort stable). */
async function* merge<T>(
  runs: string[],
  cmp: (a: { v: T; seq: number }, b: { v: T; seq: number }) => number,
): AsyncGenerator<{ v: T; seq: number }> {
  type Head = { item: { v: T; seq: number }; it: AsyncIterator<string> };
  const heap: Head[] = [];
  const less = (a: Head, b: Head) => cmp(a.item, b.item) < 0;
  const up = (i: number) => {
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!less(heap[i]!, heap[p]!)) break;
      [heap[i], heap[p]] = [heap[p]!, heap[i]!];
      i = p;
    }
  };
  const down = (i: number) => {
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < heap.length && less(heap[l]!, heap[m]!)) m = l;
      if (r < heap.length && less(heap[r]!, heap[m]!)) m = r;
      if (m === i) return;
      [heap[i], heap[m]] = [heap[m]!, heap[i]!];
      i = m;
    }
  };
  const parse = (line: string) => {
    const [seq, v] = parseJson(line) as [number, T];
    return { v, seq };
  };
  for (const path of runs) {
    const it = readLines(path);
    const first = await it.next();
    if (!first.done) {
      heap.push({ item: parse(first.value), it });
      up(heap.length - 1);
    }
  }
  while (heap.length) {
    const top = heap[0]!;
    yield top.item;
    const next = await top.it.next();
    if (next.done) {
      const last = heap.pop()!;
      if (heap.length) {
        heap[0] = last;
        down(0);
      }
    } else {
      top.item = parse(next.value);
      down(0);
    }
  }
}
