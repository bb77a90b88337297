import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { readManifest } from '../../lib/manifest.ts';
import { MIN_TIMED_S, REPORT_HTML, REPORT_JSON, type Report } from '../../lib/report.ts';
import { SAMPLE_PAIRS, TEXT_CAP } from '../../lib/report-pairs.ts';

const CHARTS = [
  'block-lines',
  'block-depth',
  'verdicts',
  'pairs-per-key',
  'pairs-per-problem',
  'pair-origins',
  'throughput',
  'rejects',
];
const TARGETDPO_CHARTS = ['dminus-lines', 'mask-coverage', 'rejected-tokens', ...CHARTS.slice(2)];
import { FIXTURES, fixturePairShards, launchChromium, readShardRows, tmp } from '../helpers.ts';

const CLI = new URL('../../bin/structflow.js', import.meta.url).pathname;
const readReport = (dir: string) => JSON.parse(readFileSync(join(dir, REPORT_JSON), 'utf8')) as Report;

/** Value → count of a list of values, as the report keys its histograms. */
function countBy(values: (number | string)[]): Record<string, number> {
  const h: Record<string, number> = {};
  for (const v of values) h[v] = (h[v] ?? 0) + 1;
  return h;
}

interface Drawn {
  id: string;
  width: number;
  height: number;
  painted: number;
  labels: string[];
  data: number[][];
  /** The x and y axis titles. */
  axes: string[];
  /** Series label → its colour. */
  colours: Record<string, string>;
}

/** Opens a report in Chromium and reads back every chart: its size, painted pixels and data. */
async function render(browser: Browser, dir: string) {
  const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  const requests: string[] = [];
  const errors: string[] = [];
  page.on('request', (r) => requests.push(r.url()));
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  const url = 'file://' + join(dir, REPORT_HTML);
  await page.goto(url);
  const drawn = await page.evaluate(() => {
    const Chart = (window as unknown as { Chart: { getChart(c: HTMLCanvasElement): any } }).Chart; // eslint-disable-line @typescript-eslint/no-explicit-any
    return [...document.querySelectorAll('canvas')].map((c) => {
      const px = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      let painted = 0;
      for (let i = 3; i < px.length; i += 4) if (px[i]! > 0) painted++;
      const chart = Chart.getChart(c);
      return {
        id: c.id,
        width: c.width,
        height: c.height,
        painted,
        labels: chart.data.labels.map(String),
        data: chart.data.datasets.map((d: { data: number[] }) => d.data),
        axes: ['x', 'y'].map((k) => chart.options.scales[k]?.title?.text ?? ''),
        colours: Object.fromEntries(
          chart.data.datasets.map((d: { label: string; backgroundColor: string }) => [
            d.label,
            d.backgroundColor,
          ]),
        ),
      };
    });
  });
  const charts = await page.evaluate(() => Number(document.body.dataset.charts));
  const empty = await page.evaluate(() =>
    [...document.querySelectorAll('p.empty:not([hidden])')].map((p) => p.id.replace(/-empty$/, '')),
  );
  await page.close();
  return { drawn: drawn as Drawn[], charts, empty, requests: requests.filter((r) => r !== url), errors };
}

/** The non-zero bars of a one-series chart, as value → count. */
const bars = (d: Drawn) =>
  Object.fromEntries(d.labels.map((l, i) => [l, d.data[0]![i]!]).filter(([, n]) => n !== 0));

describe('run report', function () {
  this.timeout(300_000);
  let full: string;
  let split: string;
  let browser: Browser;
  before(async () => {
    full = fixturePairShards();
    split = tmp();
    execFileSync(
      'node',
      [
        CLI,
        'run',
        'structurecoder',
        '--input',
        join(FIXTURES, 'apps.jsonl'),
        '--out',
        split,
        '--until',
        'split',
        '--test-timeout',
        '0.5',
        '--quiet',
      ],
      { stdio: 'pipe' },
    );
    browser = await launchChromium();
  });
  after(async () => browser?.close());

  it('report.json adds up to the manifest, the rejects file and the shards themselves', async () => {
    const m = readManifest(full);
    const r = readReport(full);
    expect(r.rows).to.equal(m.rows);
    for (const s of r.stages)
      expect([s.in, s.out]).to.deep.equal([m.counts[s.name]!.in, m.counts[s.name]!.out]);
    const rejectLines = readFileSync(join(full, 'rejects.jsonl'), 'utf8').trim().split('\n').length;
    expect(r.rejects.reduce((n, x) => n + x.count, 0)).to.equal(rejectLines);
    const checked = Object.values(r.verdicts.check!).reduce((a, b) => a + b, 0);
    expect(checked).to.equal(m.counts.check!.in);
    // rates only where a stage did enough work of its own to time; `read` has no time of its own
    expect(r.stages.find((s) => s.name === 'read')!.records_per_s).to.equal(null);
    for (const s of r.stages)
      if (s.records_per_s !== null && !r.final_stages.includes(s.name))
        expect(s.busy_s, s.name).to.be.at.least(MIN_TIMED_S);
    // the cache: one store of two files; every program run and every generation was one lookup
    expect(r.stores).to.have.length(1);
    expect(r.stores[0]!.files).to.equal(2);
    const { verdicts, generations } = r.stores[0]!.tables;
    expect(verdicts!.lookups).to.equal(m.counts.label!.in + m.counts.check!.in);
    expect(generations!.lookups).to.equal(m.counts.generate!.in);
    expect(verdicts!.hits).to.be.at.most(verdicts!.lookups);
    expect(readFileSync(join(full, 'report.html'), 'utf8')).to.include(
      `verdicts ${verdicts!.entries.toLocaleString('en-US')} entries, ${verdicts!.hits.toLocaleString('en-US')} of`,
    );
    const firstCopies = (await readShardRows(full)).filter((p) => p.curriculum_epoch === 0);
    expect(r.histograms.pairs_per_key).to.deep.equal(
      countBy(firstCopies.map((p) => p.curriculum_key as number)),
    );

    const targets = (await readShardRows(split)).filter((t) => t.kind === 'fim');
    const s = readReport(split);
    expect(s.histograms.block_lines).to.deep.equal(
      countBy(targets.map((t) => (t.end_line as number) - (t.start_line as number) + 1)),
    );
    expect(s.histograms.block_depth).to.deep.equal(countBy(targets.map((t) => t.depth as number)));
  });

  let threeDatasets: string | undefined;
  /** One run of the fixtures' three dataset layouts, for the tests that read its report. */
  const runThreeDatasets = (): string => {
    if (threeDatasets) return threeDatasets;
    const out = tmp();
    const inputs = ['leetcode.jsonl', 'humaneval.jsonl', 'mbpp.jsonl'].map((f) => join(FIXTURES, f));
    execFileSync(
      'node',
      [CLI, 'run', 'structurecoder', '--input', inputs.join(','), '--out', out, '--quiet'],
      {
        stdio: 'pipe',
      },
    );
    return (threeDatasets = out);
  };

  it('shows the yield per dataset: targets that gave pairs and where the rest went, adding up to the pair stage', async () => {
    const out = runThreeDatasets();
    const m = readManifest(out);
    const r = readReport(out);
    expect(Object.keys(r.yield).sort()).to.deep.equal(['humaneval', 'leetcode', 'mbpp']);
    const sum = (o: Record<string, number>) => Object.values(o).reduce((a, b) => a + b, 0);
    const pair = m.counts.pair!;
    // every target that reached the pair stage is in one dataset's row, as paired or by its reason
    expect(sum(Object.fromEntries(Object.entries(r.yield).map(([k, o]) => [k, sum(o)])))).to.equal(pair.in);
    expect(sum(Object.fromEntries(Object.entries(r.yield).map(([k, o]) => [k, o.paired ?? 0])))).to.equal(
      pair.passed,
    );
    const reasons: Record<string, number> = {};
    for (const o of Object.values(r.yield))
      for (const [k, n] of Object.entries(o)) if (k !== 'paired') reasons[k] = (reasons[k] ?? 0) + n;
    expect(reasons).to.deep.equal(pair.reasons);
    // the paired targets of each dataset are the distinct targets of its rows
    const rows = (await readShardRows(out)).filter((p) => p.curriculum_epoch === 0);
    const ids = (prefix: RegExp) =>
      new Set(rows.filter((p) => prefix.test(String(p.problem_id))).map((p) => p.target_id)).size;
    expect(r.yield.leetcode!.paired).to.equal(ids(/^sf-/));
    expect(r.yield.humaneval!.paired).to.equal(ids(/^SF\//));
    const html = readFileSync(join(out, REPORT_HTML), 'utf8');
    // the share of rejected sides stopped on an unbound name, from the pairs themselves
    const unbound = rows.filter((p) => /NameError|UnboundLocalError/.test(String(p.rejected_error))).length;
    expect(r.pairs.unbound_name).to.equal(unbound);
    expect(html).to.include(`${unbound} of ${r.pairs.total} pairs`);
    expect(html).to.match(/<table id="yield">[\s\S]*<td>leetcode<\/td><td>\d+<\/td>/);
  });

  it("shows where the sandbox's time went per dataset: the programs run and the cache's answers add up to each stage's runs", () => {
    const out = runThreeDatasets();
    const m = readManifest(out);
    const r = readReport(out);
    expect(Object.keys(r.sandbox).sort()).to.deep.equal(['humaneval', 'leetcode', 'mbpp']);
    const runs = (stage: string) =>
      Object.entries(r.tally.metrics[stage]?.spent ?? {})
        .filter(([k]) => k.startsWith('sandbox_runs_of:'))
        .reduce((n, [, v]) => n + v, 0);
    // each reference and each candidate ran once, or the verdict cache answered it
    for (const stage of ['label', 'check'])
      expect(runs(stage) + (m.counts[stage]!.stats.cache_hits ?? 0), stage).to.equal(m.counts[stage]!.in);
    const cells = Object.values(r.sandbox).flatMap((v) => Object.entries(v));
    expect(cells.reduce((n, [, c]) => n + c.runs, 0)).to.equal(runs('label') + runs('check'));
    // a timeout used its limit, at least the 0.5 s floor of a candidate's test
    const timeouts = cells.filter(([k]) => k === 'timeout').map(([, c]) => c);
    expect(timeouts.length).to.be.above(0);
    for (const t of timeouts) expect(t.cpu_s).to.be.at.least(0.45 * t.runs);
    // what a run spent is no count of its output: the manifest's counters do not hold it
    expect(JSON.stringify(m.counts)).not.to.include('sandbox_');
    const html = readFileSync(join(out, REPORT_HTML), 'utf8');
    expect(html).to.match(
      /<table id="sandbox">[\s\S]*<td>mbpp<\/td><td>\d+<\/td><td>[\d.]+<\/td><td>\d+ %<\/td>/,
    );
  });

  it('report.html draws all eight plots in headless Chromium, from its own data, with no request outside the file', async () => {
    const r = readReport(full);
    const got = await render(browser, full);
    expect(got.errors).to.deep.equal([]);
    expect(got.requests).to.deep.equal([]);
    expect(got.charts).to.equal(CHARTS.length);
    expect(got.drawn.map((d) => d.id)).to.deep.equal(CHARTS);
    for (const d of got.drawn) {
      expect(d.axes.every(Boolean), `${d.id}: axis titles ${JSON.stringify(d.axes)}`).to.equal(true);
      expect(d.width * d.height, d.id).to.be.greaterThan(50_000);
      expect(d.painted, `${d.id}: painted pixels`).to.be.greaterThan(2_000);
    }
    const byId = Object.fromEntries(got.drawn.map((d) => [d.id, d]));
    expect(bars(byId['pairs-per-key']!)).to.deep.equal(r.histograms.pairs_per_key);
    expect(bars(byId['block-lines']!)).to.deep.equal(r.histograms.block_lines);
    expect(bars(byId['block-depth']!)).to.deep.equal(r.histograms.block_depth);
    const v = byId.verdicts!;
    expect(v.labels).to.deep.equal(['label', 'check']);
    expect(v.data.map((series) => series[1]).reduce((a, b) => a! + b!, 0)).to.equal(
      Object.values(r.verdicts.check!).reduce((a, b) => a + b, 0),
    );
    expect(byId.rejects!.data[0]).to.deep.equal(r.rejects.map((x) => x.count));
    // pair origins: the chart, report.json and a recount of the shards agree
    const firstCopies = (await readShardRows(full)).filter((p) => p.curriculum_epoch === 0);
    expect(r.pairs.chosen).to.deep.equal(countBy(firstCopies.map((p) => p.chosen_origin as string)));
    expect(r.pairs.rejected).to.deep.equal(countBy(firstCopies.map((p) => p.rejected_origin as string)));
    const o = byId['pair-origins']!;
    expect(Object.fromEntries(o.labels.map((l, i) => [l, o.data[1]![i]]).filter(([, n]) => n))).to.deep.equal(
      r.pairs.rejected,
    );
    expect(byId.throughput!.labels).to.include.members(['format', 'check', 'curriculum']);
  });

  it('report.html has a pair browser: a capped sample, differing lines marked, filters that change what shows, no request', async () => {
    const r = readReport(full);
    const sample = r.pair_sample!;
    expect(sample.total).to.equal(r.pairs.total); // every pair once (not each epoch's copy)
    expect(sample.items).to.have.length(Math.min(SAMPLE_PAIRS, sample.total));
    for (const p of sample.items) {
      expect(p.chosen.length).to.be.at.most(TEXT_CAP + 40);
      expect(p.chosen_lines.length + p.rejected_lines.length).to.be.greaterThan(0); // the sides differ somewhere
    }
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    const requests: string[] = [];
    const errors: string[] = [];
    page.on('request', (q) => requests.push(q.url()));
    page.on('pageerror', (e) => errors.push(String(e)));
    const url = 'file://' + join(full, REPORT_HTML);
    await page.goto(url);
    const shown = () => page.evaluate(() => Number(document.body.dataset.pairsShown));
    expect(await shown()).to.equal(sample.items.length);
    expect(await page.locator('#pairs details.pair').count()).to.equal(sample.items.length);
    // the first pair, opened: both sides, its marked lines, the rejected side's verdict and first error
    await page.locator('#pairs details.pair > summary').first().click();
    const first = page.locator('#pairs details.pair').first();
    const marked = await first.locator('.side-rejected .hl').allTextContents();
    expect(marked).to.deep.equal(
      sample.items[0]!.rejected_lines.map((n) => sample.items[0]!.rejected.split('\n')[n - 1] || ' '),
    );
    expect(await first.locator('.note').allTextContents()).to.include.members(sample.items[0]!.notes);
    expect(await first.locator('details > pre').isVisible()).to.equal(false); // the question starts collapsed
    // each filter narrows the list to exactly the sample's matching pairs
    for (const name of ['block type', 'curriculum bucket', 'rejected origin']) {
      const value = sample.items[1]!.filters[name]!;
      await page.selectOption(`select[name="${name}"]`, value);
      const want = sample.items.filter((p) => p.filters[name] === value).length;
      expect(await shown(), name).to.equal(want);
      expect(await page.locator('#pairs details.pair:not([hidden])').count()).to.equal(want);
      await page.selectOption(`select[name="${name}"]`, '');
    }
    expect(await shown()).to.equal(sample.items.length);
    await page.close();
    expect(errors).to.deep.equal([]);
    expect(requests.filter((q) => q !== url)).to.deep.equal([]);
  });

  it('a plot with nothing to show says so instead of drawing empty axes', async () => {
    const got = await render(browser, split);
    expect(got.errors).to.deep.equal([]);
    expect(got.empty).to.deep.equal(['pairs-per-key', 'pairs-per-problem', 'pair-origins']); // a run that stops at split has no pairs
    expect(got.charts).to.equal(CHARTS.length - 3);
    for (const d of got.drawn) expect(d.painted, d.id).to.be.greaterThan(2_000);
  });

  it('a Target-DPO report shows D− sizes, mask coverage, token lengths and its curriculum, with no empty panel', async () => {
    const out = tmp();
    execFileSync(
      'node',
      [
        CLI,
        'run',
        'targetdpo',
        '--input',
        join(FIXTURES, 'apps.jsonl'),
        '--out',
        out,
        '--quiet',
        '--tokenizer',
        join(FIXTURES, 'tiny-model'),
      ],
      {
        stdio: 'pipe',
      },
    );
    const r = readReport(out);
    const rows = (await readShardRows(out)).filter((p) => p.curriculum_epoch === 0);
    expect(r.histograms.dminus_lines).to.deep.equal(
      countBy(rows.map((p) => (p.rejected_diff_lines as ArrayLike<number>).length)),
    );
    const coverage = rows.map((p) => {
      const m = Array.from(p.rejected_mask as Iterable<number>);
      return 5 * Math.floor((100 * m.reduce((a, b) => a + b, 0)) / Math.max(1, m.length) / 5);
    });
    expect(r.histograms.mask_coverage_pct).to.deep.equal(countBy(coverage));
    expect(r.pairs.chosen).to.deep.equal({ reference: rows.length });
    const got = await render(browser, out);
    expect(got.errors).to.deep.equal([]);
    expect(got.empty).to.deep.equal([]);
    expect(got.drawn.map((d) => d.id)).to.deep.equal(TARGETDPO_CHARTS);
    // mask coverage comes in 5 % bins: one bar a bin, not a hairline among 100 empty ones
    const coverageBins = got.drawn.find((d) => d.id === 'mask-coverage')!.labels.map(Number);
    expect(coverageBins.every((b) => b % 5 === 0)).to.equal(true);
    // the stage table names Target-DPO's own stages
    expect(r.stages.map((s) => s.name))
      .to.include.members(['programs', 'prompt'])
      .and.not.include('split');
    // a verdict has one colour in every report, whichever verdicts the run had
    const structure = (await render(browser, full)).drawn.find((d) => d.id === 'verdicts')!.colours;
    const target = got.drawn.find((d) => d.id === 'verdicts')!.colours;
    expect(structure.pass).to.equal('#59a14f');
    for (const v of Object.keys(target).filter((v) => v in structure))
      expect(target[v], v).to.equal(structure[v]);
    for (const d of got.drawn) expect(d.painted, d.id).to.be.greaterThan(2_000);
    const page = readFileSync(join(out, REPORT_HTML), 'utf8');
    expect(page).to.include('<h1>StructFlow report: targetdpo</h1>');
    // its pair browser marks D− lines and counts the masked tokens
    const first = r.pair_sample!.items[0]!;
    const row = rows.find((p) => p.rejected_code === first.rejected)!;
    expect(first.rejected_lines).to.deep.equal(Array.from(row.rejected_diff_lines as ArrayLike<number>));
    const m = Array.from(row.rejected_mask as Iterable<number>);
    expect(first.notes).to.include(
      `masked tokens (the loss's D− tokens): ${m.filter((x) => x === 1).length} of ${m.length} rejected tokens`,
    );
  });
});
