import { expect } from 'chai';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { once } from 'node:events';
import { OpenAIGenerator } from '../../../lib/generators/openai.ts';
import { DEFAULT_PARAMS } from '../../../lib/generators/types.ts';
import type { PromptedTarget } from '../../../lib/schemas.ts';
import { Fatal } from '../../../lib/stage.ts';

type Fault = 'ok' | '500' | '429' | 'hang' | 'badjson' | 'drop' | '400' | '404';

/** A port that was free a moment ago: nothing listens there, so every connection is refused. */
async function deadPort(): Promise<number> {
  const s = createServer().listen(0, '127.0.0.1');
  await once(s, 'listening');
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

/** What a promise rejects with (undefined if it resolves). */
const failure = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: Error) => e,
  );

/**
 * A local completions server whose answers to each prompt follow a script of faults; `GET /v1/models`
 * answers with the `models` status (or never).
 */
function server(script: (prompt: string, attempt: number) => Fault, models: number | 'hang' = 200) {
  const attempts = new Map<string, number>();
  const served = new Map<string, number>(); // successful answers per prompt
  let inFlight = 0;
  let maxInFlight = 0;
  const s: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      if (req.method === 'GET') {
        if (models !== 'hang') res.writeHead(models).end('{"data": []}');
        return;
      }
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
        if (fault === '404') return void res.writeHead(404).end('{"error": "no such model"}');
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

  async function start(script: (prompt: string, attempt: number) => Fault, models?: number | 'hang') {
    const srv = server(script, models);
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
    expect(err).to.not.be.instanceOf(Fatal); // an answer about this prompt: its record's reject
    expect(srv.attempts.get('always500')).to.equal(3);
    try {
      await gen.generate(req('bad'));
    } catch (e) {
      err = e as Error;
    }
    expect(err?.message).to.match(/answered 400: .*prompt too long/);
    expect(err).to.not.be.instanceOf(Fatal);
    expect(srv.attempts.get('bad')).to.equal(1);
  });

  it('ready(): any answer of /v1/models will do (not every server lists its models); none, or 401, is named with the URL and the fix', async () => {
    for (const status of [200, 404]) {
      const { url } = await start(() => 'ok', status);
      expect(await failure(new OpenAIGenerator({ baseUrl: url, model: 'm' }).ready())).to.equal(undefined);
    }
    const { url } = await start(() => 'ok', 401);
    const denied = await failure(new OpenAIGenerator({ baseUrl: `${url}/v1/`, model: 'm' }).ready());
    expect(denied?.message).to.equal(
      `${url}/v1/models answered 401: set the server's API key in $OPENAI_API_KEY`,
    );
    const hung = (await start(() => 'ok', 'hang')).url;
    const slow = new OpenAIGenerator({ baseUrl: hung, model: 'm', readyTimeoutMs: 100 });
    expect((await failure(slow.ready()))?.message).to.equal(
      `${hung}/v1/models did not answer (timed out): start the server, or point --base-url at it`,
    );
    const dead = `http://127.0.0.1:${await deadPort()}`;
    const refused = await failure(new OpenAIGenerator({ baseUrl: dead, model: 'm' }).ready());
    expect(refused).to.be.instanceOf(Fatal);
    expect(refused?.message).to.equal(
      `${dead}/v1/models did not answer (connection failed: ECONNREFUSED): start the server, or point --base-url at it`,
    );
  });

  it('a server that stops answering stops the run (Fatal), the requests in flight with it, until ready() finds it back', async () => {
    let away = false;
    const { url } = await start(() => (away ? 'drop' : 'ok'));
    const opts = { baseUrl: url, model: 'm', attempts: 2, backoffMs: 5, maxConnectionFailures: 100 };
    const gen = new OpenAIGenerator(opts);
    await gen.generate(req('before'));
    away = true;
    const [gone, inFlight] = await Promise.all([
      failure(gen.generate(req('gone'))),
      failure(gen.generate(req('also'))),
    ]);
    expect(gone).to.be.instanceOf(Fatal);
    expect(gone?.message).to.match(
      new RegExp(`^${url}/v1/completions: no answer after 2 attempts: connection failed: `),
    );
    expect(inFlight).to.equal(gone);
    away = false;
    expect(await failure(gen.generate(req('after')))).to.equal(gone); // stopped: no request goes out
    await gen.ready();
    expect(await gen.generate(req('after'))).to.have.length(3);
    // no answer within the time limit, or a 404 every request would get: the server's state, not a prompt's
    const hung = new OpenAIGenerator({ ...opts, baseUrl: (await start(() => 'hang')).url, timeoutMs: 50 });
    expect(await failure(hung.generate(req('h')))).to.be.instanceOf(Fatal);
    const wrong = new OpenAIGenerator({ ...opts, baseUrl: (await start(() => '404')).url });
    const notFound = await failure(wrong.generate(req('x')));
    expect(notFound).to.be.instanceOf(Fatal);
    expect(notFound?.message).to.include('answered 404').and.include('check --base-url, --model');
  });

  it('connection failures in a row past the limit stop the run early, with the first error and the limit', async () => {
    const dead = `http://127.0.0.1:${await deadPort()}`;
    const gen = new OpenAIGenerator({ baseUrl: dead, model: 'm', backoffMs: 5, maxConnectionFailures: 4 });
    const errs = await Promise.all(['a', 'b', 'c'].map((p) => failure(gen.generate(req(p)))));
    for (const e of errs) {
      expect(e).to.be.instanceOf(Fatal);
      expect(e?.message).to.equal(
        `${dead}/v1/completions: 4 requests in a row could not connect (the first: connection failed: ECONNREFUSED); ` +
          'stopped early (--max-connection-failures N changes the limit)',
      );
    }
  });
});
