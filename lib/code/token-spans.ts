import type { Tokenizer } from './tokenizer.ts';

// GPT-2's byte-level alphabet: each of the 256 bytes is shown as one printable character. A byte-level
// BPE token is a string of these characters, so its bytes can be read back exactly.
const BYTE_OF_CHAR = (() => {
  const printable = [...range(0x21, 0x7e), ...range(0xa1, 0xac), ...range(0xae, 0xff)];
  const map = new Map<string, number>();
  let extra = 0;
  for (let b = 0; b < 256; b++) {
    const cp = printable.includes(b) ? b : 256 + extra++;
    map.set(String.fromCodePoint(cp), b);
  }
  return map;
})();

function range(a: number, b: number): number[] {
  return Array.from({ length: b - a + 1 }, (_, i) => a + i);
}

export interface TokenSpans {
  ids: number[];
  /** [start, end) of each token in the text, in UTF-16 units (JavaScript string offsets); a token that
   *  holds part of a multi-byte character covers that whole character. */
  spans: [number, number][];
  /** Each token's own bytes: together exactly the UTF-8 bytes of the text. */
  bytes: Buffer[];
}

/**
 * Tokens of `text` with their character spans. `@huggingface/tokenizers` 0.2 returns ids and tokens but no
 * offsets, so each token's bytes are decoded from the token itself (byte-level BPE; special tokens are
 * their own text), bytes are turned into character offsets, and the spans are checked to cover the text
 * exactly. Re-encoding prefixes, as the reference did, goes wrong where merges cross the cut.
 */
export function tokenSpans(tokenizer: Tokenizer, text: string): TokenSpans {
  const enc = tokenizer.encode(text, { add_special_tokens: false });
  const bytes = Buffer.from(text, 'utf8');
  // character offset (UTF-16) of every byte boundary
  const charAt = new Int32Array(bytes.length + 1).fill(-1);
  let b = 0;
  for (let c = 0; c < text.length;) {
    charAt[b] = c;
    const cp = text.codePointAt(c)!;
    b += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    c += cp >= 0x10000 ? 2 : 1;
  }
  charAt[bytes.length] = text.length;
  const spans: [number, number][] = [];
  const tokBytes: Buffer[] = [];
  let at = 0;
  for (const tok of enc.tokens) {
    const tb = tokenBytes(tok);
    if (!bytes.subarray(at, at + tb.length).equals(tb)) {
      throw new Error(
        `token ${JSON.stringify(tok)} does not spell the text at byte ${at}: not a byte-level BPE tokenizer?`,
      );
    }
    tokBytes.push(tb);
    const start = at;
    at += tb.length;
    // a token ending inside a multi-byte character covers that whole character
    let s = start;
    while (charAt[s] === -1) s--;
    let e = at;
    while (charAt[e] === -1) e++;
    spans.push([charAt[s]!, charAt[e]!]);
  }
  if (at !== bytes.length) throw new Error(`the tokens cover ${at} of ${bytes.length} bytes of the text`);
  return { ids: enc.ids, spans, bytes: tokBytes };
}

function tokenBytes(token: string): Buffer {
  const out: number[] = [];
  for (const ch of token) {
    const byte = BYTE_OF_CHAR.get(ch);
    if (byte === undefined) return Buffer.from(token, 'utf8'); // a special token: its own text
    out.push(byte);
  }
  return Buffer.from(out);
}

/** Character ranges of the given 1-based lines of `text`, each with its newline. */
export function lineRanges(text: string, lines: number[]): [number, number][] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === '\n') starts.push(i + 1);
  return lines.map((l) => [starts[l - 1]!, l < starts.length ? starts[l]! : text.length]);
}

/** 1 for every token that overlaps one of the ranges, else 0. */
export function maskOverlapping(spans: [number, number][], ranges: [number, number][]): number[] {
  return spans.map(([s, e]) => (ranges.some(([a, b]) => s < b && a < e) ? 1 : 0));
}
