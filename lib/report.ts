import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Tally } from './context.ts';
import { describeStore, type StoreSummary } from './store.ts';
import type { Manifest } from './manifest.ts';
import {
  PAIRS_CSS,
  PAIRS_SCRIPT,
  PAIRS_SECTION,
  SAMPLE_PAIRS,
  TEXT_CAP,
  type BrowsedPair,
  type PairBrowser,
  type PairSample,
} from './report-pairs.ts';
import { atomicWrite } from './shards.ts';

export interface RunInfo {
  /** Input units in this run; reused ones were committed by an earlier run, worked ones by this one. */
  units: { total: number; reused: number; worked: number };
  /** Seconds of this process: working units, and the final step (global stage and shards). */
  seconds: { units: number; final: number };
  /** Stages of the final step (global ones such as the curriculum), which run again at every start. */
  finalStages: string[];
  /** The caches (key-value stores) the run looked things up in: size on disk and hits. */
  stores?: StoreSummary[];
}

/** One panel of report.html. */
export type Chart = { id: string; title: string } &
  /** `label`: what a bar counts (the y axis); `x`: what its bins measure (the x axis). */
  (
    | { kind: 'histogram'; stage: string; hist: string; label: string; x: string }
    | { kind: 'verdicts' }
    | { kind: 'origins' }
    | { kind: 'throughput' }
    | { kind: 'rejects' }
  );

/**
 * What a pipeline's report shows beyond the stage table: its charts, where the verdicts are counted,
 * and which stage makes its pairs. Declared by the pipeline; the report itself knows no stage.
 */
export interface ReportSpec {
  charts: Chart[];
  /** Named counters `<prefix><verdict>` of a stage are its verdicts. */
  verdictPrefix?: string;
  /** The stage that makes the pairs, with its counters `<chosen><origin>`, `<rejected><origin>` and the
   *  counter of pairs whose sides differ in more than one place. */
  pairs?: {
    stage: string;
    chosen: string;
    rejected: string;
    multiRegion: string;
    /** Its counters `<yield><group>:<outcome>`: what became of the stage's inputs, group by group. */
    yield?: string;
    /** Its counter of pairs whose rejected side stopped on an unbound name (no near miss). */
    unboundName?: string;
  };
  /** A browsable sample of the output's pairs (when the output has the columns it needs). */
  browse?: PairBrowser;
  /** What any stage spent as `<runs><group>:<verdict>` and `<cpu><group>:<verdict>` (CPU milliseconds): the
   *  programs the sandbox ran, group by group (dataset), and the CPU they used. */
  sandbox?: { runs: string; cpu: string };
}

/** Every report ends with these. */
const ALWAYS: Chart[] = [
  {
    id: 'throughput',
    title: "Capacity per stage (records in per second of the stage's own work, per worker)",
    kind: 'throughput',
  },
  { id: 'rejects', title: 'Rejects by stage and reason', kind: 'rejects' },
];

export const REPORT_JSON = 'report.json';
export const REPORT_HTML = 'report.html';

/** `report.json`: what a run did, stage by stage, with the distributions the HTML report plots. */
export interface Report {
  format: 'structflow-report';
  version: 1;
  pipeline: string;
  until: string;
  created_at: string;
  rows: number;
  shards: number;
  units: RunInfo['units'];
  final_stages: string[];
  /** The caches the run looked things up in (size on disk, entries, lookups and hits of this run). */
  stores: StoreSummary[];
  /** Wall-clock seconds of the work (summed over units, also those of earlier runs) and of this process. */
  seconds: { work: number } & RunInfo['seconds'];
  stages: {
    name: string;
    in: number;
    passed: number;
    rejected: number;
    out: number;
    /**
     * Seconds records spent in the stage function, summed over records: with several records in flight
     * at once (the sandbox stages run one per worker) this is worker-seconds and exceeds the run's wall time.
     */
    busy_s: number;
    /**
     * The stage's own capacity: records in per busy second, i.e. what one of its workers handles per
     * second, whatever the stages around it did. A stage that reports no busy time (the final step's
     * curriculum) is timed by the final step's wall clock instead. Null when the stage spent less than
     * MIN_TIMED_S in its work (a rate of a few milliseconds is noise) or has no time of its own (`read`,
     * whose wall clock is the whole run's).
     */
    records_per_s: number | null;
  }[];
  /** Verdicts per stage (from the counters the spec names): stage → verdict → count. */
  verdicts: Record<string, Record<string, number>>;
  /** The histograms the spec charts, by histogram name: value → count. */
  histograms: Record<string, Record<string, number>>;
  /** Where the two sides of the pairs came from (generator origins), and how many pairs have sides that
   *  differ in more than one place (a pair should teach one fix). */
  pairs: {
    total: number;
    chosen: Record<string, number>;
    rejected: Record<string, number>;
    multi_region: number;
    /** Pairs whose rejected side failed on an unbound name (NameError, UnboundLocalError). */
    unbound_name: number;
  };
  /**
   * What became of the pair stage's inputs (targets), group by group (dataset): group → outcome (`paired`, or
   * the reason it gave none) → count.
   */
  yield: Record<string, Record<string, number>>;
  /** The programs the sandbox ran (not those the verdict cache answered) and the CPU seconds they used: group
   *  (dataset) → verdict → { runs, cpu_s }. */
  sandbox: Record<string, Record<string, { runs: number; cpu_s: number }>>;
  /** The panels of report.html, in order: the spec's charts, then throughput and rejects. */
  charts: Chart[];
  rejects: { stage: string; reason: string; count: number }[];
  /** The pair browser's sample: `total` pairs seen, at most `cap` kept, texts cut at `text_cap` characters. */
  pair_sample?: { total: number; cap: number; text_cap: number; items: BrowsedPair[] };
  /** The raw counts, so that the reports of ranks can be added up. */
  tally: Tally;
}

const rate = (n: number, s: number) => (s > 0 ? n / s : 0);

/** Seconds of a stage's own work below which its rate is not given. */
export const MIN_TIMED_S = 0.05;

/** A histogram in value order, without the zero bins a difference of two tallies can leave. */
const byNumber = (h: Record<string, number> = {}) =>
  Object.fromEntries(
    Object.entries(h)
      .filter(([, n]) => n !== 0)
      .sort(([a], [b]) => Number(a) - Number(b)),
  );

export function buildReport(
  m: Manifest,
  tally: Tally,
  info: RunInfo,
  spec: ReportSpec = { charts: [] },
  sample?: PairSample,
): Report {
  const work = tally.wall_ms / 1000;
  const verdicts: Report['verdicts'] = {};
  const prefix = spec.verdictPrefix;
  for (const [stage, c] of Object.entries(tally.counts)) {
    for (const [k, n] of Object.entries(c.stats)) {
      if (prefix && k.startsWith(prefix)) (verdicts[stage] ??= {})[k.slice(prefix.length)] = n;
    }
  }
  const busy = (stage: string) => (tally.metrics[stage]?.busy_ms ?? 0) / 1000;
  const capacity = (stage: string, n: number) => {
    const secs = busy(stage) || (info.finalStages.includes(stage) ? info.seconds.final : 0);
    return secs >= MIN_TIMED_S ? rate(n, secs) : null;
  };
  const histograms: Report['histograms'] = {};
  for (const c of spec.charts) {
    if (c.kind === 'histogram') histograms[c.hist] = byNumber(tally.metrics[c.stage]?.hist[c.hist]);
  }
  const pairStage = spec.pairs ? tally.counts[spec.pairs.stage] : undefined;
  const pairStats = Object.entries(pairStage?.stats ?? {});
  const sides = (prefix: string) =>
    Object.fromEntries(
      pairStats
        .filter(([k, n]) => k.startsWith(prefix) && n > 0)
        .map(([k, n]) => [k.slice(prefix.length), n]),
    );
  const yields: Report['yield'] = {};
  const yieldPrefix = spec.pairs?.yield;
  for (const [k, n] of pairStats) {
    const g = yieldPrefix && n !== 0 ? grouped(k, yieldPrefix) : undefined;
    if (g) (yields[g.group] ??= {})[g.outcome] = n;
  }
  const sandbox: Report['sandbox'] = {};
  // what the stages spent: programs run, and their CPU in milliseconds (shown in seconds)
  const spent = spec.sandbox
    ? ([
        ['runs', spec.sandbox.runs, 1],
        ['cpu_s', spec.sandbox.cpu, 1000],
      ] as const)
    : [];
  for (const metrics of Object.values(tally.metrics))
    for (const [k, n] of Object.entries(metrics.spent ?? {}))
      for (const [field, prefix, unit] of spent) {
        const g = n !== 0 ? grouped(k, prefix) : undefined;
        if (g) ((sandbox[g.group] ??= {})[g.outcome] ??= { runs: 0, cpu_s: 0 })[field] += n / unit;
      }
  return {
    format: 'structflow-report',
    version: 1,
    pipeline: m.pipeline,
    until: m.until,
    created_at: m.created_at,
    rows: m.rows,
    shards: m.shards.length,
    units: info.units,
    stores: info.stores ?? [],
    final_stages: info.finalStages,
    seconds: { work, ...info.seconds },
    stages: Object.entries(tally.counts).map(([name, c]) => ({
      name,
      in: c.in,
      passed: c.passed,
      rejected: c.rejected,
      out: c.out,
      busy_s: busy(name),
      records_per_s: capacity(name, c.in),
    })),
    verdicts,
    histograms,
    pairs: {
      total: pairStage?.out ?? 0,
      chosen: spec.pairs ? sides(spec.pairs.chosen) : {},
      rejected: spec.pairs ? sides(spec.pairs.rejected) : {},
      multi_region: spec.pairs ? (pairStage?.stats[spec.pairs.multiRegion] ?? 0) : 0,
      unbound_name: spec.pairs?.unboundName ? (pairStage?.stats[spec.pairs.unboundName] ?? 0) : 0,
    },
    yield: yields,
    sandbox,
    charts: [...spec.charts, ...ALWAYS],
    rejects: Object.entries(tally.counts).flatMap(([stage, c]) =>
      Object.entries(c.reasons).map(([reason, count]) => ({ stage, reason, count })),
    ),
    ...(sample
      ? { pair_sample: { total: sample.seen, cap: SAMPLE_PAIRS, text_cap: TEXT_CAP, items: sample.items } }
      : {}),
    tally,
  };
}

/** Writes `report.json` and the self-contained `report.html` next to a run's manifest. */
export function writeReport(
  dir: string,
  m: Manifest,
  tally: Tally,
  info: RunInfo,
  spec?: ReportSpec,
  sample?: PairSample,
): Report {
  const report = buildReport(m, tally, info, spec, sample);
  atomicWrite(join(dir, REPORT_JSON), JSON.stringify(report, null, 2) + '\n');
  atomicWrite(join(dir, REPORT_HTML), renderReport(report));
  return report;
}

let chartJs: string | undefined;
/** Chart.js's browser build, inlined so the report opens offline and from a mail attachment. */
function chartLibrary(): string {
  const main = createRequire(import.meta.url).resolve('chart.js'); // …/chart.js/dist/chart.cjs
  return (chartJs ??= readFileSync(join(dirname(main), 'chart.umd.min.js'), 'utf8'));
}

const esc = (s: string) =>
  s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

/** The pipeline and, when the run stopped early, where (a Target-DPO run has no `--until`). */
const title = (r: Report) =>
  r.until && r.until !== 'curriculum' ? `${r.pipeline} → ${r.until}` : r.pipeline;

export function renderReport(r: Report): string {
  const rows = r.stages
    .map(
      (s) =>
        `<tr><td>${esc(s.name)}</td><td>${s.in}</td><td>${s.passed}</td><td>${s.rejected}</td><td>${s.out}</td>` +
        `<td>${s.busy_s.toFixed(1)}</td><td>${s.records_per_s === null ? '<span title="too little time of its own to measure">–</span>' : s.records_per_s.toFixed(1)}</td></tr>`,
    )
    .join('\n');
  const sections = r.charts
    .map(
      ({ id, title }) =>
        `<section><h2>${esc(title)}</h2><div class="chart"><canvas id="${id}"></canvas></div>` +
        `<p class="empty" id="${id}-empty" hidden>Nothing to plot: the run stopped before this stage, or it saw no such records.</p></section>`,
    )
    .join('\n');
  // "<" is escaped so that no string in the data can close the script element
  const data = JSON.stringify({ ...r, tally: undefined }).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>StructFlow report: ${esc(title(r))}</title>
<style>
body{font:14px system-ui,sans-serif;margin:2em auto;max-width:1100px;color:#222}
table{border-collapse:collapse}td,th{padding:2px 10px;text-align:right}td:first-child,th:first-child{text-align:left}
tr:nth-child(even){background:#f4f4f4}.grid{display:grid;grid-template-columns:1fr 1fr;gap:1em}
.chart{position:relative;height:280px}h2{font-size:15px}.empty{color:#777}
${PAIRS_CSS}
</style></head><body>
<h1>StructFlow report: ${esc(title(r))}</h1>
<p>${r.rows} rows in ${r.shards} shard(s) · ${r.units.total} input unit${r.units.total === 1 ? '' : 's'} (${r.units.reused} committed by an earlier run) ·
${r.seconds.work.toFixed(1)} s of work · made ${esc(r.created_at)}</p>
${
  r.pairs.total
    ? `<p id="multi-region">${r.pairs.multi_region} of ${r.pairs.total} pairs (${((100 * r.pairs.multi_region) / r.pairs.total).toFixed(1)} %) differ between their chosen and rejected side in more than one separate place. Such a pair teaches several edits at once, so the model learns less exactly which one made the answer wrong; 0 is best.</p>`
    : ''
}
${
  r.pairs.total
    ? `<p id="unbound-name">${r.pairs.unbound_name} of ${r.pairs.total} pairs (${((100 * r.pairs.unbound_name) / r.pairs.total).toFixed(1)} %) have a rejected side that stopped on an unbound name (NameError, UnboundLocalError): it fails every test at once, no near miss of the right program; 10 % at most is the aim.</p>`
    : ''
}
${r.stores.map((s) => `<p class="store">${esc(describeStore(s).join('; '))}</p>`).join('\n')}
${yieldTable(r.yield)}
${sandboxTable(r.sandbox)}
<table><thead><tr><th>stage</th><th>in</th><th>passed</th><th>rejected</th><th>out</th><th title="seconds in the stage function, summed over records (worker-seconds)">busy s</th><th title="records in per busy second: the stage's own capacity per worker">in per busy s</th></tr></thead>
<tbody>
${rows}
</tbody></table>
<div class="grid">
${sections}
</div>
${PAIRS_SECTION}
<script>${chartLibrary()}</script>
<script type="application/json" id="report-data">${data}</script>
<script>${RENDER}</script>
<script>${PAIRS_SCRIPT}</script>
</body></html>
`;
}

/** A counter `<prefix><group>:<outcome>` read back (a group may hold colons: the outcome follows the last one). */
function grouped(key: string, prefix: string): { group: string; outcome: string } | undefined {
  if (!key.startsWith(prefix)) return undefined;
  const rest = key.slice(prefix.length);
  const at = rest.lastIndexOf(':');
  return { group: rest.slice(0, at), outcome: rest.slice(at + 1) };
}

/** The yield per group (dataset): inputs of the pair stage, how many gave pairs, and why the others gave none. */
function yieldTable(y: Report['yield']): string {
  const groups = Object.keys(y).sort();
  if (!groups.length) return '';
  const rows = groups.map((g) => {
    const o = y[g]!;
    const total = Object.values(o).reduce((a, b) => a + b, 0);
    const paired = o.paired ?? 0;
    const rest = Object.entries(o)
      .filter(([k]) => k !== 'paired')
      .sort(([, a], [, b]) => b - a)
      .map(([k, n]) => `${esc(k)} ${n}`)
      .join(', ');
    const pct = total ? ((100 * paired) / total).toFixed(1) : '0.0';
    return `<tr><td>${esc(g)}</td><td>${total}</td><td>${paired}</td><td>${pct} %</td><td>${rest || '–'}</td></tr>`;
  });
  return (
    `<table id="yield"><thead><tr><th>dataset</th><th>targets</th><th>gave pairs</th><th>yield</th>` +
    `<th>where the rest went</th></tr></thead>\n<tbody>\n${rows.join('\n')}\n</tbody></table>`
  );
}

/** Where the sandbox's time went, per group (dataset): the programs run and their CPU, by verdict. */
function sandboxTable(x: Report['sandbox']): string {
  const groups = Object.keys(x).sort();
  if (!groups.length) return '';
  const rows = groups.map((g) => {
    const v = Object.entries(x[g]!).sort(([, a], [, b]) => b.cpu_s - a.cpu_s);
    const runs = v.reduce((n, [, c]) => n + c.runs, 0);
    const cpu = v.reduce((n, [, c]) => n + c.cpu_s, 0);
    const timeouts = x[g]!.timeout?.cpu_s ?? 0;
    const each = v.map(([k, c]) => `${esc(k)} ${c.runs} · ${c.cpu_s.toFixed(1)} s`).join(', ');
    const share = cpu > 0 ? ((100 * timeouts) / cpu).toFixed(0) : '0';
    return `<tr><td>${esc(g)}</td><td>${runs}</td><td>${cpu.toFixed(1)}</td><td>${share} %</td><td>${each}</td></tr>`;
  });
  return (
    `<table id="sandbox"><caption>Programs the sandbox ran (the verdict cache answered the others) and the CPU ` +
    `seconds of their tests; a timeout uses its whole limit</caption><thead><tr><th>dataset</th><th>programs run</th>` +
    `<th>CPU s</th><th>in timeouts</th><th>by verdict (programs · CPU)</th></tr></thead>\n<tbody>\n${rows.join('\n')}\n</tbody></table>`
  );
}

/** Runs in the page: one chart per canvas from the embedded data; `document.body.dataset.charts` says how many. */
const RENDER = `
(function () {
  var r = JSON.parse(document.getElementById('report-data').textContent);
  var drawn = 0;
  var palette = ['#4e79a7', '#e15759', '#f28e2b', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#9c755f'];
  // one colour per verdict in every report, whatever verdicts a run happens to have
  var verdictColour = { pass: '#59a14f', fail: '#e15759', error: '#f28e2b', timeout: '#b07aa1', memory: '#9c755f',
    output_limit: '#edc948', compile_error: '#76b7b2', no_tests: '#bab0ac' };
  function axes(x, y, extra) {
    var s = { x: { title: { display: true, text: x } }, y: { title: { display: true, text: y } } };
    Object.keys(extra || {}).forEach(function (k) { Object.assign(s[k], extra[k]); });
    return { scales: s };
  }
  function draw(id, type, labels, datasets, opts) {
    if (!document.getElementById(id)) return; // not a chart of this pipeline
    var total = datasets.reduce(function (n, d) { return n + d.data.reduce(function (a, b) { return a + b; }, 0); }, 0);
    if (!labels.length || total === 0) {
      document.getElementById(id).remove();
      document.getElementById(id + '-empty').hidden = false;
      return;
    }
    new Chart(document.getElementById(id), {
      type: type,
      data: { labels: labels, datasets: datasets },
      options: Object.assign({ animation: false, responsive: true, maintainAspectRatio: false,
        plugins: { legend: { display: datasets.length > 1 } } }, opts || {})
    });
    drawn++;
  }
  function histogram(id, h, label, x) {
    var keys = Object.keys(h);
    var lo = Number(keys[0]), hi = Number(keys[keys.length - 1]);
    // integer bins: show the empty ones too, at the bins' own width (mask coverage comes in steps of 5)
    var step = keys.reduce(function (g, k) { var a = g, b = Number(k) - lo; while (b) { var t = a % b; a = b; b = t; } return a; }, 0) || 1;
    if (keys.length && (hi - lo) / step < 200 && keys.every(function (k) { return Number(k) % 1 === 0; })) {
      keys = [];
      for (var v = lo; v <= hi; v += step) keys.push(String(v));
    }
    draw(id, 'bar', keys, [{ label: label, data: keys.map(function (k) { return h[k] || 0; }), backgroundColor: palette[0] }], axes(x, label));
  }
  var stages = Object.keys(r.verdicts);
  var kinds = [];
  stages.forEach(function (s) { Object.keys(r.verdicts[s]).forEach(function (v) { if (kinds.indexOf(v) < 0) kinds.push(v); }); });
  var origins = Object.keys(r.pairs.chosen).concat(Object.keys(r.pairs.rejected).filter(function (o) { return !(o in r.pairs.chosen); }));
  var timed = r.stages.filter(function (s) { return s.in > 0 && s.records_per_s !== null; });
  r.charts.forEach(function (c) {
    if (c.kind === 'histogram') histogram(c.id, r.histograms[c.hist] || {}, c.label, c.x);
    else if (c.kind === 'verdicts') draw(c.id, 'bar', stages, kinds.map(function (v, i) {
      return { label: v, data: stages.map(function (s) { return r.verdicts[s][v] || 0; }), backgroundColor: verdictColour[v] || palette[i % palette.length] };
    }), axes('stage', 'programs run', { x: { stacked: true }, y: { stacked: true } }));
    else if (c.kind === 'origins') draw(c.id, 'bar', origins, ['chosen', 'rejected'].map(function (side, i) {
      return { label: side, data: origins.map(function (o) { return r.pairs[side][o] || 0; }), backgroundColor: palette[i] };
    }), axes('origin (what made the text)', 'pair sides'));
    else if (c.kind === 'throughput') draw(c.id, 'bar', timed.map(function (s) { return s.name; }),
      [{ label: 'records in per busy second', data: timed.map(function (s) { return s.records_per_s; }), backgroundColor: palette[4] }],
      axes('stage', 'records in / busy second (log)', { y: { type: 'logarithmic' } }));
    else if (c.kind === 'rejects') draw(c.id, 'bar', r.rejects.map(function (x) { return x.stage + ': ' + x.reason; }),
      [{ label: 'rejects', data: r.rejects.map(function (x) { return x.count; }), backgroundColor: palette[1] }],
      Object.assign({ indexAxis: 'y' }, axes('records', 'stage: reason')));
  });
  document.body.dataset.charts = String(drawn);
})();
`;
