import { expect } from 'chai';
import { RunContext } from '../../lib/context.ts';
import { busiestStage, progressLine, STALL_SECONDS, stallNote, type Advance } from '../../lib/progress.ts';

describe('progress: a stage stalled on time limits says so', () => {
  it('names how long nothing came out and which counters moved meanwhile; quiet again once records flow', () => {
    const ctx = new RunContext();
    const check = ctx.stage('check');
    check.counters.out = 10;
    const t0 = 1_000_000;
    const last: Advance = { at: t0, out: 0, stats: new Map() };
    expect(stallNote(ctx, last, t0)).to.equal(''); // records came out since the last look
    check.stat('verdict_timeout', 3);
    expect(stallNote(ctx, last, t0 + (STALL_SECONDS - 1) * 1000)).to.equal(''); // not long enough yet
    expect(stallNote(ctx, last, t0 + 12_000)).to.equal(
      ' · nothing out for 12s, meanwhile check verdict_timeout +3',
    );
    check.counters.out++;
    expect(stallNote(ctx, last, t0 + 13_000)).to.equal('');
    expect(stallNote(ctx, last, t0 + 20_000)).to.equal(' · nothing out for 7s'); // idle, no counter moved
  });
});

describe('progress: one line that fits the terminal', () => {
  /** A run part-way: 40 of 100 rows read, check the slowest stage, 7 rejects so far. */
  function midRun(): RunContext {
    const ctx = new RunContext();
    ctx.total = 100;
    const count = (name: string, c: { in: number; passed: number; out: number }, busy_ms: number) => {
      Object.assign(ctx.stage(name).counters, { ...c, rejected: 0 });
      ctx.busy(name, busy_ms);
    };
    count('read', { in: 40, passed: 40, out: 40 }, 0);
    for (const s of ['format', 'label', 'split', 'fim', 'generate'])
      count(s, { in: 40, passed: 40, out: 40 }, 100);
    count('check', { in: 200, passed: 194, out: 194 }, 90_000);
    count('pair', { in: 194, passed: 194, out: 120 }, 50);
    ctx.rejectsWritten = 7;
    ctx.finished = 30; // 40 rows read, 30 through every stage
    return ctx;
  }

  it('estimates the time left from rows done (through the pipeline), not rows read', () => {
    const ctx = midRun();
    const at = (s: number) => ctx.startedAt + s * 1000;
    // 30 rows done in 60 s: 70 to go at 0.5/s
    expect(progressLine(ctx, 200, '', at(60))).to.match(/^\[1m00s\] 30\/100 rows done \(30 %, ETA 2m20s\)/);
    // every row read but none done yet: no estimate rather than "100 %, ETA 0s"
    ctx.stage('read').counters.in = 100;
    ctx.finished = 0;
    expect(progressLine(ctx, 200, '', at(60))).to.match(/ 0\/100 rows done \(0 %, ETA \?\)/);
    // rows of units an earlier run committed are done, but the rate is this process's: 50 left at 30 per 60 s
    Object.assign(ctx, { finished: 30, reused: 20 });
    expect(progressLine(ctx, 200, '', at(60))).to.match(/ 50\/100 rows done \(50 %, ETA 1m40s\)/);
  });

  it('shows rows done of the total with the ETA, the busiest stage, the last stage out and the rejects', () => {
    const ctx = midRun();
    expect(busiestStage(ctx)).to.equal('check');
    const line = progressLine(ctx, 100);
    expect(line).to.match(
      /^\[\d+s\] 30\/100 rows done \(30 %, ETA [\d?]\S*\) · busiest check \(6 at work\) · pair 120 out · 7 rejects$/,
    );
    expect(line.length).to.be.at.most(100);
  });

  it('leaves out the least telling parts first when the terminal is narrow, and never exceeds its width', () => {
    const ctx = midRun();
    const note = ' · nothing out for 12s, meanwhile check verdict_timeout +3';
    for (const width of [20, 40, 60, 75, 90, 120, 160]) {
      const line = progressLine(ctx, width, note);
      expect(line.length, line).to.be.at.most(width);
      if (width >= 40) expect(line).to.include('30/100 rows done');
    }
    const narrow = progressLine(ctx, 75);
    expect(narrow).to.include('pair 120 out').and.include('7 rejects').and.not.include('busiest');
    expect(progressLine(ctx, 160, note)).to.include('nothing out for 12s');
  });

  it('in a log (no width) also lists every stage with its rate', () => {
    expect(progressLine(midRun())).to.include(' · read 40 (').and.include(' · check 194 (');
  });
});
