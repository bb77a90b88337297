import { expect } from 'chai';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { OpenAIGenerator } from '../../../lib/generators/openai.ts';
import { DEFAULT_PARAMS } from '../../../lib/generators/types.ts';
import type { PromptedTarget } from '../../../lib/schemas.ts';

type Fault = 'ok' | '500' | '429' | 'hang' | 'badjson' | 'drop' | '400';

/** A local completions server whose answers to each prompt follow a script of faults. */
function server(script: (prompt: string, attempt: number) => Fault) {
  const attempts = new Map<string, number>();
  const served = new Map<string, number>(); // successful answers per prompt
  let inFlight = 0;
  let maxInFlight = 0;
  const s: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      const { prompt, n } = JSON.parse(body) as { prompt: string; n: number };
      const a = (attempts.get(prompt) ?? 0) + 1;
      attempts.set(prompt, a);
      const fault = script(prompt, a);
      // a hung request is abandoned by the client on its timeout; the server learns it only later
      const counted = fault !== 'hang';
      if (counted) inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      const done = () => inFlight--;
      setTimeout(() => {
        if (fault === 'hang') return; // never answers
        done();
        if (fault === '500') return void res.writeHead(500).end('overloaded');
        if (fault === '400') return void res.writeHead(400).end('{"error": "prompt too long"}');
        if (fault === '429') return void res.writeHead(429, { 'retry-after': '0.05' }).end('slow down');
        if (fault === 'badjson') return void res.writeHead(200).end('{"choices": [');
        if (fault === 'drop') return void req.socket.destroy();
        served.set(prompt, (served.get(prompt) ?? 0) + 1);
        const choices = Array.from({ length: n }, (_, i) => ({
          index: n - 1 - i,
          text: `${prompt}:${n - 1 - i}`,
        }));
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ choices }));
      }, 5);
    });
  });
  return {
    s,
    served,
    attempts,
    get maxInFlight() {
      return maxInFlight;
    },
  };
}

const req = (prompt: string) => ({
  prompt,
  start: '',
  params: { ...DEFAULT_PARAMS, n: 3 },
  target: {} as PromptedTarget,
});

describe('openai generator against a faulty local server', function () {
  this.timeout(60_000);
  const servers: Server[] = [];
  after(() => servers.forEach((s) => s.close()));

  async function start(script: (prompt: string, attempt: number) => Fault) {
    const srv = server(script);
    await new Promise<void>((r) => srv.s.listen(0, '127.0.0.1', r));
    servers.push(srv.s);
    return { srv, url: `http://127.0.0.1:${(srv.s.address() as AddressInfo).port}` };
  }

  it('gets every prompt its n samples in order through 500s, 429s, hangs, bad JSON and drops, within the concurrency', async () => {
    const faults: Fault[] = ['500', '429', 'hang', 'badjson', 'drop'];
    const { srv, url } = await start((p, a) =>
      a <= 2 ? faults[(Number(p.slice(1)) + a) % faults.length]! : 'ok',
    );
    const gen = new OpenAIGenerator({
      baseUrl: `${url}/v1`,
      model: 'm',
      concurrency: 4,
      timeoutMs: 300,
      backoffMs: 10,
      attempts: 5,
    });
    const prompts = Array.from({ length: 30 }, (_, i) => `p${i}`);
    const results = await Promise.all(prompts.map((p) => gen.generate(req(p))));
    results.forEach((r, i) => expect(r.map((g) => g.text)).to.deep.equal([0, 1, 2].map((k) => `p${i}:${k}`)));
    expect(srv.maxInFlight).to.be.at.most(4);
    expect(gen.maxInFlight).to.be.at.most(4);
    // no prompt was answered twice: a success is never sent again
    expect([...srv.served.values()].every((n) => n === 1)).to.equal(true);
    expect(srv.served.size).to.equal(30);
    expect(gen.stats.retries).to.equal(60);
  });

  it('honours Retry-After on 429', async () => {
    const { url } = await start((_, a) => (a === 1 ? '429' : 'ok'));
    const gen = new OpenAIGenerator({ baseUrl: url, model: 'm', backoffMs: 5000 }); // backoff alone would wait seconds
    const t0 = Date.now();
    await gen.generate(req('x'));
    expect(Date.now() - t0).to.be.below(2000);
  });

  it('ends with a clear error after the last attempt, and fails a 4xx at once', async () => {
    const { srv, url } = await start((p) => (p === 'bad' ? '400' : '500'));
    const gen = new OpenAIGenerator({ baseUrl: url, model: 'm', attempts: 3, backoffMs: 5 });
    let err: Error | undefined;
    try {
      await gen.generate(req('always500'));
    } catch (e) {
      err = e as Error;
    }
    expect(err?.message).to.match(/no answer after 3 attempts: 500 overloaded/);
    expect(srv.attempts.get('always500')).to.equal(3);
    try {
      await gen.generate(req('bad'));
    } catch (e) {
      err = e as Error;
    }
    expect(err?.message).to.match(/answered 400: .*prompt too long/);
    expect(srv.attempts.get('bad')).to.equal(1);
  });
});
