/**
 * What StructFlow asks of a tokenizer; `@huggingface/tokenizers`' `Tokenizer` (what `loadTokenizer` returns)
 * is one. The public declarations name this rather than that package's class, whose own declarations do not
 * compile under `module: nodenext` (relative imports without extensions), so a user's project can check
 * its libraries (`skipLibCheck: false`).
 */
export interface Tokenizer {
  /** The ids and token strings of `text`. */
  encode(text: string, options?: { add_special_tokens?: boolean }): { ids: number[]; tokens: string[] };
  /** The text of token ids. */
  decode(ids: number[], options?: { skip_special_tokens?: boolean }): string;
}
