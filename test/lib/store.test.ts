import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../../lib/root.ts';
import { describeStore, markStores, Store, storesUsedSince } from '../../lib/store.ts';
import { tmp } from '../helpers.ts';

// the writer script below spells the same value
const value = (i: number) => JSON.stringify({ i, body: String(i).repeat(2000) });

describe('store: one embedded key-value store per folder (LMDB)', function () {
  this.timeout(120_000);

  it('keeps its tables apart, survives a reopen, and is two files however many entries', () => {
    const dir = tmp();
    const s = Store.open(dir);
    for (let i = 0; i < 2000; i++) s.table('a').put(`k${i}`, value(i));
    s.table('b').put('k1', 'other');
    expect(s.table('a').get('k1')).to.equal(value(1));
    expect(s.table('b').get('k1')).to.equal('other');
    expect(s.table('b').get('k2')).to.equal(undefined);
    expect(Store.open(dir).table('a').count()).to.equal(2000);
    expect(readdirSync(dir).sort()).to.deep.equal(['data.mdb', 'lock.mdb']);
    expect(s.bytes()).to.be.greaterThan(2000 * 2000);
  });

  it('describes a cache in lines that fit a terminal: the folder and size, then a line a table', () => {
    const big = { entries: 1_234_567_890, lookups: 9_876_543_210, hits: 2_345_678_901 };
    const lines = describeStore({
      dir: '/out/cache',
      bytes: 75.7e6,
      files: 2,
      tables: { generations: big, verdicts: big },
    });
    expect(lines[0]).to.equal('cache /out/cache: 75.7 MB in 2 files');
    expect(lines.slice(1)).to.deep.equal([
      'generations 1,234,567,890 entries, 2,345,678,901 of 9,876,543,210 lookups hit (23.7 %)',
      'verdicts 1,234,567,890 entries, 2,345,678,901 of 9,876,543,210 lookups hit (23.7 %)',
    ]);
  });

  it("reports a run's own lookups and hits, only of the stores it used (an earlier one's folder may be gone)", () => {
    const earlier = tmp();
    Store.open(earlier).table('verdicts').get('x');
    rmSync(earlier, { recursive: true, force: true }); // a finished test's temporary folder
    const mark = markStores();
    const dir = tmp();
    const t = Store.open(dir).table('verdicts');
    t.put('a', '1');
    for (const k of ['a', 'a', 'b']) t.get(k);
    const [s, ...others] = storesUsedSince(mark);
    expect(others).to.deep.equal([]);
    expect(s).to.deep.include({ files: 2 });
    expect(s!.tables.verdicts).to.deep.equal({ entries: 1, lookups: 3, hits: 2 });
  });

  it('killed with SIGKILL while writing, reopens with every entry whole or absent', async () => {
    const dir = tmp();
    const script = join(dir, 'writer.mts');
    writeFileSync(
      script,
      `import { Store } from ${JSON.stringify(join(ROOT, 'lib', 'store.ts'))};
const t = Store.open(${JSON.stringify(join(dir, 'db'))}).table('t');
for (let i = 0; ; i++) {
  t.put('k' + i, JSON.stringify({ i, body: String(i).repeat(2000) })); // value(i)
  if (i === 50) process.stdout.write('writing\\n');
}
`,
    );
    const child = spawn(process.execPath, ['--import', 'tsx', script], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const exited = new Promise((r) => child.on('exit', r));
    await new Promise((r) => child.stdout.once('data', r)); // 50 entries in: now at a random moment
    await new Promise((r) => setTimeout(r, 50 + Math.floor(Math.random() * 300)));
    child.kill('SIGKILL');
    await exited;
    const t = Store.open(join(dir, 'db')).table('t');
    const n = t.count();
    expect(n).to.be.greaterThan(0);
    for (let i = 0; i < n; i++) expect(t.get(`k${i}`), `k${i}`).to.equal(value(i));
    expect(t.get(`k${n}`)).to.equal(undefined); // committed in order: nothing after the last whole one
  });
});
