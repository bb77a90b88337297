import { expect } from 'chai';
import { RunContext } from '../../lib/context.ts';
import { STALL_SECONDS, stallNote, type Advance } from '../../lib/progress.ts';

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
