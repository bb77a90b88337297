import { expect } from 'chai';
import { GenerationCache } from '../../../lib/generators/cache.ts';
import { DEFAULT_PARAMS, type Generator } from '../../../lib/generators/types.ts';
import type { PromptedTarget } from '../../../lib/schemas.ts';
import { Fatal } from '../../../lib/stage.ts';
import { tmp } from '../../helpers.ts';

const req = (prompt: string) => ({ prompt, start: '', params: DEFAULT_PARAMS, target: {} as PromptedTarget });

describe('generation cache', () => {
  it('never asks the generator again for the same (generator, model, params, prompt)', async () => {
    let calls = 0;
    const gen: Generator = {
      name: 'fake',
      model: 'm1',
      continues: true,
      generate: async (r) => {
        calls++;
        return [{ text: `${r.prompt}!${calls}`, origin: 'm1' }];
      },
    };
    const dir = tmp();
    const target = {} as PromptedTarget;
    const req = (prompt: string, seed = 0) => ({
      prompt,
      start: '',
      params: { ...DEFAULT_PARAMS, seed },
      target,
    });
    const cached = new GenerationCache(dir).wrap(gen);
    const first = await cached.generate(req('a'));
    expect(first).to.deep.equal([{ text: 'a!1', origin: 'm1', cached: false }]);
    const hit = [{ text: 'a!1', origin: 'm1', cached: true }];
    expect(await cached.generate(req('a'))).to.deep.equal(hit);
    // a new cache object on the same folder (a rerun) still has it
    const again = new GenerationCache(dir);
    expect(await again.wrap(gen).generate(req('a'))).to.deep.equal(hit);
    expect([again.hits, again.misses]).to.deep.equal([1, 0]);
    expect(calls).to.equal(1);
    await cached.generate(req('a', 1)); // other params: another key
    await cached.generate(req('b'));
    expect(calls).to.equal(3);
  });

  it('asks once for two identical requests at once: the second waits for the answer and is a hit; a failed one is asked again', async () => {
    let calls = 0;
    const gen: Generator = {
      name: 'fake',
      model: 'm1',
      continues: true,
      generate: async (r) => {
        calls++;
        await new Promise((resolve) => setTimeout(resolve, 20));
        if (r.prompt === 'fails') throw new Error('the server went away');
        return [{ text: `${r.prompt}!${calls}`, origin: 'm1' }];
      },
    };
    const cache = new GenerationCache(tmp());
    const cached = cache.wrap(gen);
    const [a, b] = await Promise.all([cached.generate(req('a')), cached.generate(req('a'))]);
    expect([a, b]).to.deep.equal([
      [{ text: 'a!1', origin: 'm1', cached: false }],
      [{ text: 'a!1', origin: 'm1', cached: true }],
    ]);
    expect([calls, cache.hits, cache.misses]).to.deep.equal([1, 1, 1]);
    const failed = await Promise.allSettled([cached.generate(req('fails')), cached.generate(req('fails'))]);
    expect(failed.map((x) => x.status)).to.deep.equal(['rejected', 'rejected']);
    expect(calls).to.equal(3);
  });

  it('stores no failed or empty generation, stops the run (Fatal) on an I/O error of its store, and passes ready() on', async () => {
    const asked: string[] = [];
    let readied = 0;
    const gen: Generator = {
      name: 'fake',
      model: 'm1',
      continues: true,
      ready: async () => void readied++,
      generate: async (r) => {
        asked.push(r.prompt);
        if (r.prompt === 'fails') throw new Error('the model went away');
        return r.prompt === 'empty' ? [] : [{ text: 'x', origin: 'm1' }];
      },
    };
    const dir = tmp();
    const cache = new GenerationCache(dir);
    const cached = cache.wrap(gen);
    for (let i = 0; i < 2; i++) {
      await cached.generate(req('fails')).catch(() => {});
      await cached.generate(req('empty'));
    }
    expect(asked).to.deep.equal(['fails', 'empty', 'fails', 'empty']); // asked again, not answered from the cache
    await cached.ready!();
    expect(readied).to.equal(1);
    cache.put = () => {
      throw new Error('MDB_MAP_FULL: Environment mapsize limit reached');
    };
    const err = await cached.generate(req('new')).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err).to.be.instanceOf(Fatal);
    expect(err?.message).to.equal(`generation cache ${dir}: MDB_MAP_FULL: Environment mapsize limit reached`);
  });
});
