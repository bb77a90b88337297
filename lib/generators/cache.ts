import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Generation, GenerationRequest, Generator } from './types.ts';

/**
 * Content-addressed cache of generations on disk, keyed by (generator, model, params, prompt, start):
 * a rerun or an incremental run never asks the generator again for what it already has.
 * Entries are written under a temporary name and renamed, so a crash never leaves half an entry.
 */
export class GenerationCache {
  hits = 0;
  misses = 0;

  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }

  static key(gen: Generator, req: GenerationRequest): string {
    // the model-free generator works from the target, not from the prompt
    const input = gen.continues
      ? req.prompt
      : `${req.target.prefix}\u0000${req.target.middle}\u0000${req.target.suffix}\u0000${req.target.target_id}`;
    return createHash('sha256')
      .update(JSON.stringify([gen.name, gen.model, req.params, req.start, input]))
      .digest('hex');
  }

  private path(key: string): string {
    return join(this.dir, key.slice(0, 2), `${key}.json`);
  }

  get(key: string): Generation[] | undefined {
    try {
      const v = JSON.parse(readFileSync(this.path(key), 'utf8')) as Generation[];
      this.hits++;
      return v;
    } catch {
      this.misses++;
      return undefined;
    }
  }

  put(key: string, value: Generation[]): void {
    const p = this.path(key);
    mkdirSync(join(this.dir, key.slice(0, 2)), { recursive: true });
    writeFileSync(`${p}.tmp`, JSON.stringify(value));
    renameSync(`${p}.tmp`, p);
  }

  /** The generator with this cache in front of it. */
  wrap(gen: Generator): Generator {
    return {
      name: gen.name,
      model: gen.model,
      continues: gen.continues,
      ...(gen.editsGolden ? { editsGolden: gen.editsGolden } : {}),
      generate: async (req) => {
        const key = GenerationCache.key(gen, req);
        const hit = this.get(key);
        if (hit) return hit.map((g) => ({ ...g, cached: true }));
        const out = await gen.generate(req);
        this.put(key, out);
        return out.map((g) => ({ ...g, cached: false }));
      },
    };
  }
}
