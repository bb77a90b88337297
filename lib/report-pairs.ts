import { prng } from './random.ts';

/** One pair as the report's browser shows it (made by the pipeline's `view`; the engine knows no field). */
export interface BrowsedPair {
  /** Filter name → value (block type, curriculum bucket, origin, …): one drop-down per name. */
  filters: Record<string, string>;
  question: string;
  /** The end of the training context, where the sides begin. */
  prompt_end: string;
  chosen: string;
  rejected: string;
  /** 1-based lines to highlight in each side: the differing lines (D+ / D− for Target-DPO). */
  chosen_lines: number[];
  rejected_lines: number[];
  /** One-line facts: the verdicts, the rejected side's first error, masked tokens. */
  notes: string[];
}

/** What a pipeline declares to get a pair browser: the columns it reads, and one row → pair. */
export interface PairBrowser {
  needs: string[];
  /** `undefined` leaves a row out (a later epoch's copy of a pair already seen). */
  view(row: Record<string, unknown>): BrowsedPair | undefined;
}

/** The report's size stays small whatever the run: at most this many pairs, each text cut at TEXT_CAP. */
export const SAMPLE_PAIRS = 100;
export const TEXT_CAP = 2_000;

const cap = (s: string) =>
  s.length > TEXT_CAP ? `${s.slice(0, TEXT_CAP)}… (${s.length - TEXT_CAP} more characters)` : s;
const capEnd = (s: string) =>
  s.length > TEXT_CAP ? `(${s.length - TEXT_CAP} characters before) …${s.slice(-TEXT_CAP)}` : s;

/**
 * A uniform sample of the pairs of a run, the same for the same rows: reservoir sampling (Vitter's
 * algorithm R) with a fixed seed, so memory is SAMPLE_PAIRS pairs however long the run.
 */
export class PairSample {
  readonly items: BrowsedPair[] = [];
  seen = 0;
  private readonly rand = prng(0x5eed);

  constructor(
    private readonly browser: PairBrowser,
    private readonly size = SAMPLE_PAIRS,
  ) {}

  add(row: Record<string, unknown>): void {
    const p = this.browser.view(row);
    if (!p) return;
    const slot = this.seen++ < this.size ? this.items.length : Math.floor(this.rand() * this.seen);
    if (slot < this.size)
      this.items[slot] = {
        ...p,
        question: cap(p.question),
        prompt_end: capEnd(p.prompt_end),
        chosen: cap(p.chosen),
        rejected: cap(p.rejected),
        notes: p.notes.map((n) => (n.length > 300 ? n.slice(0, 300) + '…' : n)),
      };
  }

  /** Rows pass through unchanged; the sample fills as they go by. */
  async *tap<R>(rows: AsyncIterable<R>): AsyncGenerator<R> {
    for await (const r of rows) {
      this.add(r as Record<string, unknown>);
      yield r;
    }
  }
}

/** The browser's section of report.html: filled in the page from the embedded data (text only, never HTML). */
export const PAIRS_SECTION = `<section id="pairs" hidden><h2 id="pairs-title"></h2>
<p id="pairs-filters"></p><p id="pairs-shown"></p><div id="pairs-list"></div></section>`;

export const PAIRS_CSS = `#pairs details.pair{border:1px solid #ddd;margin:.5em 0;padding:.3em .6em}
.sides{display:grid;grid-template-columns:1fr 1fr;gap:.6em}.sides pre,.prompt{background:#fafafa;overflow-x:auto;font-size:12px;margin:0;padding:.3em}
.side-chosen .hl{background:#d9f2d9}.side-rejected .hl{background:#f9d6d5}.line{display:block;white-space:pre}
#pairs select{margin-right:1em}.note{color:#555;margin:.2em 0}`;

/** Runs in the page: the pair list, one drop-down per filter; \`document.body.dataset.pairsShown\` says how many show. */
export const PAIRS_SCRIPT = `
(function () {
  var s = JSON.parse(document.getElementById('report-data').textContent).pair_sample;
  if (!s || !s.items.length) return;
  function el(tag, cls, text) { var e = document.createElement(tag); if (cls) e.className = cls; if (text != null) e.textContent = text; return e; }
  document.getElementById('pairs').hidden = false;
  document.getElementById('pairs-title').textContent = 'Pairs: a sample of ' + s.items.length + ' of ' + s.total +
    ' (at most ' + s.cap + ', texts cut at ' + s.text_cap + ' characters)';
  var names = Object.keys(s.items[0].filters), chosen = {};
  var bar = document.getElementById('pairs-filters');
  names.forEach(function (n) {
    var values = [];
    s.items.forEach(function (p) { if (values.indexOf(p.filters[n]) < 0) values.push(p.filters[n]); });
    values.sort(function (a, b) { return isNaN(a) || isNaN(b) ? (a < b ? -1 : a > b ? 1 : 0) : a - b; });
    var label = el('label', null, n + ' '), sel = el('select');
    sel.name = n;
    sel.appendChild(el('option', null, 'all')).value = '';
    values.forEach(function (v) { sel.appendChild(el('option', null, v)).value = v; });
    sel.onchange = function () { chosen[n] = sel.value; show(); };
    label.appendChild(sel);
    bar.appendChild(label);
  });
  function code(text, marks, cls) {
    var pre = el('pre', cls);
    text.split('\\n').forEach(function (line, i) {
      pre.appendChild(el('span', marks.indexOf(i + 1) >= 0 ? 'line hl' : 'line', line || ' '));
    });
    return pre;
  }
  var list = document.getElementById('pairs-list');
  var rows = s.items.map(function (p) {
    var d = el('details', 'pair');
    d.appendChild(el('summary', null, names.map(function (n) { return n + ': ' + p.filters[n]; }).join(' · ')));
    var q = el('details'); q.appendChild(el('summary', null, 'question')); q.appendChild(el('pre', 'prompt', p.question)); d.appendChild(q);
    d.appendChild(el('p', 'note', 'prompt ends:')); d.appendChild(el('pre', 'prompt', p.prompt_end));
    var sides = el('div', 'sides');
    var c = el('div', 'side-chosen'); c.appendChild(el('strong', null, 'chosen')); c.appendChild(code(p.chosen, p.chosen_lines)); sides.appendChild(c);
    var r = el('div', 'side-rejected'); r.appendChild(el('strong', null, 'rejected')); r.appendChild(code(p.rejected, p.rejected_lines)); sides.appendChild(r);
    d.appendChild(sides);
    p.notes.forEach(function (n) { d.appendChild(el('p', 'note', n)); });
    list.appendChild(d);
    return { p: p, el: d };
  });
  function show() {
    var n = 0;
    rows.forEach(function (x) {
      var ok = names.every(function (k) { return !chosen[k] || x.p.filters[k] === chosen[k]; });
      x.el.hidden = !ok;
      if (ok) n++;
    });
    document.getElementById('pairs-shown').textContent = n + ' shown';
    document.body.dataset.pairsShown = String(n);
  }
  show();
})();
`;
