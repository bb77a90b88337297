import { createHash } from 'node:crypto';
import { Fatal } from '../stage.ts';
import { Store, type Table } from '../store.ts';
import type { Generation, GenerationRequest, Generator } from './types.ts';

/**
 * Content-addressed cache of generations, keyed by (generator, model, params, prompt, start): a rerun or an
 * incremental run never asks the generator again for what it already has. It is the `generations` table of
 * the folder's store (lib/store.ts): committed atomically, so a crash never leaves half an entry. Only
 * candidates are stored: a request that failed, or that got none, is asked again by the next run. A request
 * whose key is being asked now waits for that answer (a hit) rather than asking again beside it, so what a run
 * gets, and counts, does not depend on which of two identical requests came first.
 */
export class GenerationCache {
  hits = 0;
  misses = 0;
  private readonly table: Table;
  private readonly asking = new Map<string, Promise<Generation[]>>();

  constructor(readonly dir: string) {
    this.table = Store.open(dir).table('generations');
  }

  static key(gen: Generator, req: GenerationRequest): string {
    // the model-free generator works from the target, not from the prompt
    const input = gen.continues
      ? req.prompt
      : `${req.target.prefix}\u0000${req.target.middle}\u0000${req.target.suffix}\u0000${req.target.target_id}`;
    return createHash('sha256')
      .update(JSON.stringify([gen.name, gen.identity ?? gen.model, req.params, req.start, input]))
      .digest('hex');
  }

  get(key: string): Generation[] | undefined {
    const v = this.table.get(key);
    if (v === undefined) this.misses++;
    else this.hits++;
    return v === undefined ? undefined : (JSON.parse(v) as Generation[]);
  }

  put(key: string, value: Generation[]): void {
    this.table.put(key, JSON.stringify(value));
  }

  /** The generator with this cache in front of it; the cache's I/O errors stop the run (`Fatal`). */
  wrap(gen: Generator): Generator {
    // a store that cannot be read or written fails every record alike: not a reject of one
    const io = <T>(what: () => T): T => {
      try {
        return what();
      } catch (err) {
        throw new Fatal(`generation cache ${this.dir}: ${(err as Error).message}`);
      }
    };
    return {
      name: gen.name,
      model: gen.model,
      continues: gen.continues,
      ...(gen.editsGolden ? { editsGolden: gen.editsGolden } : {}),
      ...(gen.ready ? { ready: () => gen.ready!() } : {}),
      generate: async (req) => {
        const key = GenerationCache.key(gen, req);
        // a twin that failed or got none is asked again, as a later run would
        const asked = this.asking.get(key); // no await before `mine` is set when there is none
        const twin = asked && (await asked.catch(() => []));
        if (twin?.length) this.hits++;
        const hit = twin?.length ? twin : io(() => this.get(key));
        if (hit) return hit.map((g) => ({ ...g, cached: true }));
        const mine = gen.generate(req);
        this.asking.set(key, mine);
        try {
          const out = await mine;
          if (out.length) io(() => this.put(key, out));
          return out.map((g) => ({ ...g, cached: false }));
        } finally {
          if (this.asking.get(key) === mine) this.asking.delete(key);
        }
      },
    };
  }
}
