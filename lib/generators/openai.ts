import { Fatal } from '../stage.ts';
import type { Generation, GenerationRequest, Generator } from './types.ts';

/** Connection failures in a row that make a server unreachable, unless told otherwise. */
export const DEFAULT_MAX_CONNECTION_FAILURES = 10;

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
  /** First backoff in ms; doubles per attempt, with jitter, capped at 30 s. Default 500. */
  backoffMs?: number;
  /** Connection failures in a row (over all requests) after which the server counts as unreachable and
   *  the run stops. Default DEFAULT_MAX_CONNECTION_FAILURES. */
  maxConnectionFailures?: number;
}

class Retryable extends Error {
  constructor(
    message: string,
    readonly retryAfterMs?: number,
    /** No connection at all (refused, unknown host), as opposed to a server that answered badly. */
    readonly connection = false,
  ) {
    super(message);
  }
}

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
 * message. A request that succeeded is never sent again.
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
  private unreachable: Fatal | undefined;
  private firstFailure: string | undefined;

  constructor(private readonly opts: OpenAIOptions) {
    this.model = opts.model;
  }

  private get url(): string {
    const base = this.opts.baseUrl.replace(/\/+$/, '');
    return base.endsWith('/v1') ? `${base}/completions` : `${base}/v1/completions`;
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
    let last: Error | undefined;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      await this.acquire();
      let wait: number | undefined;
      try {
        this.stats.requests++;
        const out = await this.once(body, req.params.n);
        this.failedInARow = 0;
        return out;
      } catch (err) {
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
    throw new Error(`${this.url}: no answer after ${attempts} attempts: ${last?.message ?? 'unknown error'}`);
  }

  /** Counts connection failures in a row; past the limit the server is unreachable and the run stops. */
  private noteConnection(err: Retryable): void {
    if (!err.connection) {
      this.failedInARow = 0;
      return;
    }
    this.firstFailure ??= err.message;
    const limit = this.opts.maxConnectionFailures ?? DEFAULT_MAX_CONNECTION_FAILURES;
    // one error for every request still in flight, whichever of them reaches the terminal first
    if (++this.failedInARow >= limit)
      throw (this.unreachable ??= new Fatal(
        `${this.url}: ${limit} requests in a row could not connect (the first: ${this.firstFailure}); ` +
          'stopped early (--max-connection-failures N changes the limit)',
      ));
  }

  private async once(body: string, n: number): Promise<Generation[]> {
    let res: Response;
    try {
      res = await fetch(this.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(this.opts.apiKey ? { authorization: `Bearer ${this.opts.apiKey}` } : {}),
        },
        body,
        signal: AbortSignal.timeout(this.opts.timeoutMs ?? 120_000),
      });
    } catch (err) {
      const e = err as Error & { cause?: { code?: string; message?: string } };
      const timedOut = e.name === 'TimeoutError';
      throw new Retryable(
        timedOut ? 'timed out' : `connection failed: ${e.cause?.code ?? e.cause?.message ?? e.message}`,
        undefined,
        !timedOut,
      );
    }
    let text: string;
    try {
      text = await res.text();
    } catch (err) {
      throw new Retryable(`connection lost while reading the answer: ${(err as Error).message}`);
    }
    if (res.status === 429)
      throw new Retryable('429 too many requests', retryAfter(res.headers.get('retry-after')));
    if (res.status >= 500) throw new Retryable(`${res.status} ${text.slice(0, 200)}`);
    if (!res.ok) throw new Error(`${this.url} answered ${res.status}: ${text.slice(0, 500)}`);
    let data: { choices?: { text?: unknown; index?: number }[] };
    try {
      data = JSON.parse(text) as typeof data;
    } catch {
      throw new Retryable(`malformed JSON in the answer: ${text.slice(0, 100)}`);
    }
    const choices = data.choices;
    if (!Array.isArray(choices) || choices.some((c) => typeof c.text !== 'string')) {
      throw new Retryable('the answer has no choices[].text');
    }
    if (choices.length !== n) throw new Retryable(`asked for ${n} samples, got ${choices.length}`);
    return [...choices]
      .sort((a, b) => (a.index ?? 0) - (b.index ?? 0))
      .map((c) => ({ text: c.text as string, origin: this.model }));
  }
}
