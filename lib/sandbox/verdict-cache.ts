import { createHash } from 'node:crypto';
import { z } from 'zod';
import { stringifyJson } from '../json.ts';
import { TestResult, Verdict } from '../schemas.ts';
import { Store, type Table } from '../store.ts';
import { testCount, testCpu, wallLimit } from './limits.ts';
import type { ExecRequest, ExecResult, Limits } from './pool.ts';

/** A result as `execute` gives it: `decided` when the judge decided it (or there were no tests). */
export type Executed = ExecResult & { decided: boolean };

const CachedResult = z.object({
  id: z.string(),
  verdict: Verdict,
  tests: z.array(TestResult),
  error: z.string().optional(),
  cpu_ms: z.number().optional(),
  wall_ms: z.number().optional(),
  slot_ms: z.number().optional(),
  isolation: z.object({ tool: z.string(), uid: z.number() }),
  retried: z.boolean().optional(),
  outputs: z.array(z.string().nullable()).optional(),
  inputs: z.array(z.string().nullable()).optional(),
  retyped: z.number().optional(),
});

/** A cached verdict, or undefined when there is none or the entry is not one (not ours, or of an older shape). */
function readCached(text: string | undefined): ExecResult | undefined {
  if (text === undefined) return undefined;
  try {
    const r = CachedResult.safeParse(JSON.parse(text));
    return r.success ? r.data : undefined;
  } catch {
    return undefined;
  }
}

export const strip = ({ decided: _d, ...r }: Executed): ExecResult => r;

/**
 * Whether a `pass` measured under other per-test limits is the verdict under `perTest` (CPU seconds per test, each
 * capped by `cap`): every test ran and passed, each used at most half its new CPU limit, and the whole run held its
 * slot for at most half the smallest new wall limit. Halves, because the kernel counts CPU in ticks (10 ms here) while
 * the program's timer is exact, a run's times vary, and a call or assert test's own wall time is not measured, nor
 * the program's start (its module's code), which the whole run's time holds. A program passes the same tests the same
 * way under any limits its times fit (the exact cache assumes as much of a program run twice).
 */
export function passFits(r: ExecResult, tests: number, perTest: number[], cap: number): boolean {
  if (r.verdict !== 'pass' || r.tests.length !== tests || r.slot_ms === undefined) return false;
  const limits = r.tests.map((_, i) => testCpu(perTest, i, cap));
  const cpuFits = r.tests.every(
    (t, i) => t.verdict === 'pass' && (t.cpu_ms ?? Infinity) <= (limits[i]! * 1000) / 2,
  );
  return cpuFits && r.slot_ms <= (Math.min(...limits.map(wallLimit)) * 1000) / 2;
}

/**
 * The verdict cache of a pool, in the store of `dir` (lib/store.ts). Three ways a request is answered without
 * running its program:
 * - `verdicts`: the same program, tests, limits and per-test limits were judged before (by sha256 of them
 *   and the sandbox's version: no release trusts another's verdicts);
 * - the same request is running now: it waits for that verdict instead of running the program twice;
 * - `passes`: the program passed the same tests under other per-test limits, and its measured times fit half
 *   the new ones (`passFits`): as the golden candidate of every target of a problem, which `label` ran already.
 * Only verdicts the judge decided are kept; a twin whose verdict was not decided runs on its own.
 */
export class VerdictCache {
  private tables?: { verdicts: Table; passes: Table };
  private readonly running = new Map<string, Promise<Executed>>();

  constructor(
    private readonly dir: string,
    private readonly version: string,
    private readonly compare: string,
  ) {}

  private open(): { verdicts: Table; passes: Table } {
    const store = Store.open(this.dir);
    return { verdicts: store.table('verdicts'), passes: store.table('passes') };
  }

  /** `execute`'s result for `req`, or a kept one (`cached: true`). `limits`: those in force, defaults included. */
  async run(
    req: ExecRequest,
    limits: Partial<Limits> & Pick<Limits, 'test_cpu_s'>,
    execute: () => Promise<Executed>,
    hit: () => void,
  ): Promise<ExecResult> {
    const { verdicts, passes } = (this.tables ??= this.open());
    // what both keys hash, written once (a LeetCode test is kilobytes); the per-test limits only in the exact key
    const head = stringifyJson([
      this.version,
      this.compare,
      req.code,
      req.tests,
      limits,
      req.record ?? false,
    ]);
    const key = sha256(head, stringifyJson(req.test_cpu_s ?? null));
    const passKey = sha256(head);
    const answer = (r: ExecResult): ExecResult => {
      hit();
      return { ...r, id: req.id, cached: true };
    };
    const kept = readCached(verdicts.get(key));
    if (kept) return answer(kept);
    if (req.test_cpu_s) {
      const pass = readCached(passes.get(passKey));
      if (pass && passFits(pass, testCount(req.tests), req.test_cpu_s, limits.test_cpu_s))
        return answer(pass);
    }
    const twin = this.running.get(key);
    if (twin) {
      const r = await twin;
      if (r.decided) return answer(strip(r));
    }
    const mine = execute();
    this.running.set(key, mine);
    try {
      const r = await mine;
      if (r.decided) {
        // stored without `cached`: a hit sets it
        const text = JSON.stringify(strip(r));
        verdicts.put(key, text);
        if (r.verdict === 'pass') passes.put(passKey, text);
      }
      return { ...strip(r), cached: false };
    } finally {
      if (this.running.get(key) === mine) this.running.delete(key);
    }
  }
}

const sha256 = (...texts: string[]): string => {
  const h = createHash('sha256');
  for (const t of texts) h.update(t).update('\n');
  return h.digest('hex');
};
