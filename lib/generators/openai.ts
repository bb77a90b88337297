import { Fatal } from '../stage.ts';
import type { Generation, GenerationRequest, Generator } from './types.ts';

/** Connection failures in a row that make a server unreachable, unless told otherwise. */
export const DEFAULT_MAX_CONNECTION_FAILURES = 10;

/** How long the check before a run waits for the server to answer. */
export const READY_TIMEOUT_MS = 10_000;

/** Where the server is and how hard to try it. */
export interface OpenAIOptions {
  /** Server address, with or without the trailing `/v1` (vLLM, SGLang, TGI, llama.cpp server…). */
  baseUrl: string;
  model: string;
  apiKey?: string;
  /** Requests in flight at once. Default 8. */
  concurrency?: number;
  /** Attempts per request before a clear error. Default 6. */
  attempts?: number;
  /** Per-attempt time limit in ms (a hung server is retried). Default 120,000. */
  timeoutMs?: number;
  /** Time limit of `ready()` in ms. Default READY_TIMEOUT_MS. */
  readyTimeoutMs?: number;
  /** First backoff in ms; doubles per attempt, with jitter, capped at 30 s. Default 500. */
  backoffMs?: number;
  /** Connection failures in a row (over all requests) after which the server counts as unreachable and
   *  the run stops. Default DEFAULT_MAX_CONNECTION_FAILURES. */
  maxConnectionFailures?: number;
}

/**
 * A failed attempt worth another. `connection`: no connection at all (refused, unknown host); `unanswered`:
 * connected, but no answer to this request (timed out, cut off, 429, a gateway's 502–504); `answered`: the
 * server answered this request badly (500, a malformed body), which may be the prompt's doing.
 */
class Retryable extends Error {
  constructor(
    message: string,
    readonly kind: 'connection' | 'unanswered' | 'answered',
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

/** Why a request got no answer at all. */
function noAnswer(err: unknown): string {
  const e = err as Error & { cause?: { code?: string; message?: string } };
  return e.name === 'TimeoutError'
    ? 'timed out'
    : `connection failed: ${e.cause?.code ?? e.cause?.message ?? e.message}`;
}

/** Statuses that every request would get alike: the key, the address or the model name is wrong. */
const SETUP_STATUSES = new Set([401, 403, 404]);

/** Seconds or an HTTP date, as servers send in Retry-After. */
function retryAfter(header: string | null): number | undefined {
  if (!header) return undefined;
  const secs = Number(header);
  if (Number.isFinite(secs)) return Math.max(0, secs * 1000);
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

/**
 * Candidates from an OpenAI-compatible `/v1/completions` endpoint: one request per prompt asks for all
 * `n` samples. Bounded concurrency; 429 (honouring Retry-After), 5xx, resets, malformed bodies and
 * timeouts are retried with jittered exponential backoff; other 4xx fail at once with the server's
 * message. A request that succeeded is never sent again. What is not the request's fault stops the run
 * (`Fatal`): no answer after the last attempt, too many connection failures in a row, 401, 403 or 404;
 * an answer refusing this request (400, 500 after the last attempt) rejects its record only.
 */
export class OpenAIGenerator implements Generator {
  readonly name = 'openai';
  readonly continues = true;
  readonly model: string;
  private inFlight = 0;
  private waiting: (() => void)[] = [];
  /** The most requests that were ever in flight at once (for tests and reports). */
  maxInFlight = 0;
  readonly stats = { requests: 0, retries: 0 };
  private failedInARow = 0;
  /** Set once a request stopped the run: the requests still in flight stop at their next attempt. */
  private stopped: Fatal | undefined;
  private firstFailure: string | undefined;

  constructor(private readonly opts: OpenAIOptions) {
    this.model = opts.model;
  }

  private endpoint(path: string): string {
    const base = this.opts.baseUrl.replace(/\/+$/, '');
    return `${base.endsWith('/v1') ? base : `${base}/v1`}/${path}`;
  }

  private get url(): string {
    return this.endpoint('completions');
  }

  private get auth(): Record<string, string> {
    return this.opts.apiKey ? { authorization: `Bearer ${this.opts.apiKey}` } : {};
  }

  /**
   * The server answers `GET /v1/models` (one try, `readyTimeoutMs`); any answer but 401 or 403 will do, as
   * not every server lists its models. Clears a stop of an earlier run with this generator.
   */
  async ready(): Promise<void> {
    const url = this.endpoint('models');
    let status: number;
    try {
      const res = await fetch(url, {
        headers: this.auth,
        signal: AbortSignal.timeout(this.opts.readyTimeoutMs ?? READY_TIMEOUT_MS),
      });
      await res.arrayBuffer();
      status = res.status;
    } catch (err) {
      throw new Fatal(
        `${url} did not answer (${noAnswer(err)}): start the server, or point --base-url at it`,
      );
    }
    if (status === 401 || status === 403)
      throw new Fatal(`${url} answered ${status}: set the server's API key in $OPENAI_API_KEY`);
    this.stopped = undefined;
    this.failedInARow = 0;
    this.firstFailure = undefined;
  }

  private async acquire(): Promise<void> {
    const limit = this.opts.concurrency ?? 8;
    while (this.inFlight >= limit) await new Promise<void>((r) => this.waiting.push(r));
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
  }

  private release(): void {
    this.inFlight--;
    this.waiting.shift()?.();
  }

  /** `n` samples of the prompt from the server, post-processed by the generate stage. */
  async generate(req: GenerationRequest): Promise<Generation[]> {
    const attempts = this.opts.attempts ?? 6;
    const body = JSON.stringify({
      model: this.opts.model,
      prompt: req.prompt,
      n: req.params.n,
      temperature: req.params.temperature,
      top_p: req.params.top_p,
      max_tokens: req.params.max_tokens,
      stop: req.params.stop,
      seed: req.params.seed,
    });
    let last: Retryable | undefined;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      if (this.stopped) throw this.stopped;
      await this.acquire();
      let wait: number | undefined;
      try {
        this.stats.requests++;
        const out = await this.once(body, req.params.n);
        this.failedInARow = 0;
        return out;
      } catch (err) {
        if (err instanceof Fatal) throw (this.stopped ??= err);
        if (!(err instanceof Retryable)) throw err;
        this.noteConnection(err);
        last = err;
        wait = err.retryAfterMs;
      } finally {
        this.release();
      }
      if (attempt === attempts) break;
      this.stats.retries++;
      const backoff =
        Math.min(30_000, (this.opts.backoffMs ?? 500) * 2 ** (attempt - 1)) * (0.5 + Math.random());
      await new Promise((r) => setTimeout(r, wait ?? backoff));
    }
    const message = `${this.url}: no answer after ${attempts} attempts: ${last?.message ?? 'unknown error'}`;
    if (last?.kind === 'answered') throw new Error(message);
    throw (this.stopped ??= new Fatal(message));
  }

  /** Counts connection failures in a row; past the limit the server is unreachable and the run stops. */
  private noteConnection(err: Retryable): void {
    if (err.kind !== 'connection') {
      this.failedInARow = 0;
      return;
    }
    this.firstFailure ??= err.message;
    const limit = this.opts.maxConnectionFailures ?? DEFAULT_MAX_CONNECTION_FAILURES;
    // one error for every request still in flight, whichever of them reaches the terminal first
    if (++this.failedInARow >= limit)
      throw (this.stopped ??= new Fatal(
        `${this.url}: ${limit} requests in a row could not connect (the first: ${this.firstFailure}); ` +
          'stopped early (--max-connection-failures N changes the limit)',
      ));
  }

  private async once(body: string, n: number): Promise<Generation[]> {
    let res: Response;
    try {
      res = await fetch(this.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...this.auth },
        body,
        signal: AbortSignal.timeout(this.opts.timeoutMs ?? 120_000),
      });
    } catch (err) {
      const why = noAnswer(err);
      throw new Retryable(why, why === 'timed out' ? 'unanswered' : 'connection');
    }
    let text: string;
    try {
      text = await res.text();
    } catch (err) {
      throw new Retryable(
        `connection lost while reading the answer: ${(err as Error).message}`,
        'unanswered',
      );
    }
    const status = `${res.status} ${text.slice(0, 200)}`;
    if (res.status === 429)
      throw new Retryable('429 too many requests', 'unanswered', retryAfter(res.headers.get('retry-after')));
    if (res.status >= 502 && res.status <= 504) throw new Retryable(status, 'unanswered');
    if (res.status >= 500) throw new Retryable(status, 'answered');
    const refused = `${this.url} answered ${res.status}: ${text.slice(0, 500)}`;
    if (SETUP_STATUSES.has(res.status))
      throw new Fatal(`${refused} (check --base-url, --model and $OPENAI_API_KEY)`);
    if (!res.ok) throw new Error(refused);
    let data: { choices?: { text?: unknown; index?: number }[] };
    try {
      data = JSON.parse(text) as typeof data;
    } catch {
      throw new Retryable(`malformed JSON in the answer: ${text.slice(0, 100)}`, 'answered');
    }
    const choices = data.choices;
    if (!Array.isArray(choices) || choices.some((c) => typeof c.text !== 'string')) {
      throw new Retryable('the answer has no choices[].text', 'answered');
    }
    if (choices.length !== n)
      throw new Retryable(`asked for ${n} samples, got ${choices.length}`, 'answered');
    return [...choices]
      .sort((a, b) => (a.index ?? 0) - (b.index ?? 0))
      .map((c) => ({ text: c.text as string, origin: this.model }));
  }
}
