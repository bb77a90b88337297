import type { RunContext } from './context.ts';

export interface ProgressOptions {
  /** Where progress goes; default stderr. */
  stream?: NodeJS.WriteStream;
  /** Seconds between reports when the stream is not a terminal. Default 10. */
  intervalSeconds?: number;
}

const fmtRate = (n: number, s: number) => (s > 0 ? (n / s).toFixed(1) : '0');

const clock = (s: number) =>
  s >= 3600
    ? `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`
    : s >= 60
      ? `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s`
      : `${Math.round(s)}s`;

/** Records inside a stage now: taken in, neither passed on nor rejected yet. */
const inFlight = (c: { in: number; passed: number; rejected: number }) => c.in - c.passed - c.rejected;

/**
 * The stage the run waits on: the most time spent in its function (summed over records, so a stage
 * working on many at once counts each), else the most records inside it; undefined before any work.
 */
export function busiestStage(ctx: RunContext): string | undefined {
  let best: [string, number, number] | undefined;
  for (const [name, c] of ctx.stages) {
    const score: [string, number, number] = [name, ctx.metrics.get(name)?.busy_ms ?? 0, inFlight(c)];
    if (score[1] === 0 && score[2] <= 0) continue;
    if (!best || score[1] > best[1] || (score[1] === best[1] && score[2] > best[2])) best = score;
  }
  return best?.[0];
}

/**
 * The parts of the line in what it keeps first when the width is short: input rows done of the total (with
 * the share and the time left, where the total is known), the last stage's output, the rejects, the busiest
 * stage; on an unbounded line (a log) also every stage's output and rate. A row is done when the pipeline is
 * through with it (or its reader rejected it); the time left comes from this process's rate of doing rows,
 * not of reading them, which runs ahead of the work.
 */
function progressParts(
  ctx: RunContext,
  note: string,
  detail: boolean,
  now: number,
): { text: string; rank: number }[] {
  const secs = (now - ctx.startedAt) / 1000;
  const done = ctx.finished + ctx.reused + (ctx.stages.get('read')?.rejected ?? 0);
  let head = `[${clock(secs)}] ${done}`;
  if (ctx.total) {
    const rate = ctx.finished / Math.max(secs, 1e-3);
    const left = rate > 0 ? clock(Math.max(ctx.total - done, 0) / rate) : '?';
    head += `/${ctx.total} rows done (${Math.floor((100 * done) / ctx.total)} %, ETA ${left})`;
  } else head += ' rows done';
  const stages = [...ctx.stages];
  const [lastName, last] = stages[stages.length - 1] ?? [];
  const busiest = busiestStage(ctx);
  const busy = busiest ? ctx.stages.get(busiest)! : undefined;
  const parts = [
    { text: head, rank: 0 },
    ...(busiest && busy
      ? [{ text: `busiest ${busiest} (${Math.max(inFlight(busy), 0)} at work)`, rank: 3 }]
      : []),
    ...(last && lastName !== 'read' ? [{ text: `${lastName} ${last.out} out`, rank: 1 }] : []),
    { text: `${ctx.rejectsWritten} rejects`, rank: 2 },
    ...(note ? [{ text: note, rank: 4 }] : []),
  ];
  if (detail) {
    const each = stages.map(([name, c]) => `${name} ${c.out} (${fmtRate(c.out, secs)}/s)`).join(' · ');
    parts.push({ text: each, rank: 5 });
  }
  return parts;
}

/**
 * One progress line no longer than `width` (a terminal's): parts that do not fit are left out, the least
 * telling first, so the line never wraps and the rows done of the total are always there.
 */
export function progressLine(ctx: RunContext, width = Infinity, note = '', now = Date.now()): string {
  const parts = progressParts(ctx, note.replace(/^ · /, ''), width === Infinity, now);
  const sep = ' · ';
  let kept = parts;
  for (let rank = 5; rank > 0; rank--) {
    if (kept.map((p) => p.text).join(sep).length <= width) break;
    kept = kept.filter((p) => p.rank < rank);
  }
  const line = kept.map((p) => p.text).join(sep);
  return line.length <= width ? line : line.slice(0, Math.max(width - 1, 0)) + '…';
}

/** Where the run stood when a stage last put a record out: to say what it waits on when nothing comes. */
export interface Advance {
  at: number;
  out: number;
  stats: Map<string, number>;
}

const snapshot = (ctx: RunContext, at: number): Advance => {
  const stats = new Map<string, number>();
  let out = 0;
  for (const [name, c] of ctx.stages) {
    out += c.out;
    for (const [k, n] of Object.entries(c.stats)) stats.set(`${name} ${k}`, n);
  }
  return { at, out, stats };
};

/** Seconds without a record out before the line says so. */
export const STALL_SECONDS = 5;

/**
 * The stall note: when no stage has put a record out for STALL_SECONDS, how long, and which counters moved
 * meanwhile (a sandbox stage waiting out time limits shows its `verdict_timeout` climbing). Updates `last`.
 */
export function stallNote(ctx: RunContext, last: Advance, now = Date.now()): string {
  const cur = snapshot(ctx, now);
  if (cur.out !== last.out) {
    Object.assign(last, cur);
    return '';
  }
  const idle = (now - last.at) / 1000;
  if (idle < STALL_SECONDS) return '';
  const moved = [...cur.stats]
    .filter(([k, n]) => n > (last.stats.get(k) ?? 0))
    .map(([k, n]) => `${k} +${n - (last.stats.get(k) ?? 0)}`);
  return ` · nothing out for ${clock(idle)}${moved.length ? `, meanwhile ${moved.join(', ')}` : ''}`;
}

/**
 * Prints progress while a run goes: rewritten in place every second on a terminal, one line every
 * `intervalSeconds` otherwise (CI logs). Returns a function that stops it.
 */
export function startProgress(ctx: RunContext, opts: ProgressOptions = {}): () => void {
  const stream = opts.stream ?? process.stderr;
  const tty = stream.isTTY === true;
  const last = snapshot(ctx, Date.now());
  const timer = setInterval(
    () => {
      const note = stallNote(ctx, last);
      // on a terminal, one line that fits its width (the last column would wrap on some terminals)
      stream.write(
        tty
          ? `\r\x1b[K${progressLine(ctx, (stream.columns || 120) - 1, note)}`
          : `${progressLine(ctx, Infinity, note)}\n`,
      );
    },
    tty ? 1000 : (opts.intervalSeconds ?? 10) * 1000,
  );
  timer.unref();
  let stopped = false;
  return () => {
    if (stopped) return;
    stopped = true;
    clearInterval(timer);
    if (tty) stream.write('\r\x1b[K');
  };
}

/** The end-of-run summary: counts per stage, with the balance check, and rejects per reason. */
export function summary(ctx: RunContext): string {
  const secs = (Date.now() - ctx.startedAt) / 1000;
  const rows = [['stage', 'in', 'passed', 'rejected', 'out', 'out/s']];
  for (const [name, c] of ctx.stages) {
    rows.push([name, c.in, c.passed, c.rejected, c.out, fmtRate(c.out, secs)].map(String));
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  const lines = rows.map((r) =>
    r.map((v, i) => (i === 0 ? v.padEnd(widths[i]!) : v.padStart(widths[i]!))).join('  '),
  );
  const reasons = [...ctx.stages].flatMap(([name, c]) =>
    Object.entries(c.reasons).map(([reason, n]) => `  ${name}: ${reason} ${n}`),
  );
  const stats = [...ctx.stages].flatMap(([name, c]) =>
    Object.entries(c.stats).map(([stat, n]) => `  ${name}: ${stat} ${n}`),
  );
  const bad = ctx.unbalanced();
  return [
    ...lines,
    reasons.length ? 'rejects by reason:' : 'rejects: none',
    ...reasons,
    ...(stats.length ? ['stage counters:', ...stats] : []),
    bad.length ? `COUNTS DO NOT ADD UP in: ${bad.join(', ')}` : 'every stage: in = passed + rejected',
    `${secs.toFixed(1)}s`,
  ].join('\n');
}
