/** Prompt formats of the model families StructFlow can target (SPEC §2.4). */
export interface PromptFamily {
  name: string;
  /** The fill-in-the-middle prompt in prefix-suffix-middle order; generation continues after it. */
  fim(prefix: string, suffix: string): string;
  /** The chat prompt up to the assistant's turn. */
  chat(question: string): string;
  /**
   * The rest of a chat after an assistant's answer (a program, closed with a code fence here): the answer,
   * a user turn with `feedback`, and the next assistant turn's head.
   */
  followUp(answer: string, feedback: string): string;
  /** Tokens that end a generation. */
  stop: string[];
}

const fenced = (code: string) => (code.endsWith('\n') ? code : code + '\n') + '```';

const SYSTEM = 'You are an intelligent programming assistant to produce Python algorithmic solutions.';

/** The prompt token set unless told otherwise. */
export const DEFAULT_FAMILY = 'qwen';

export const PROMPT_FAMILIES: Record<string, PromptFamily> = {
  qwen: {
    name: 'qwen',
    fim: (p, s) => `<|fim_prefix|>${p}<|fim_suffix|>${s}<|fim_middle|>`,
    chat: (q) =>
      `<|im_start|>system\n${SYSTEM}<|im_end|>\n<|im_start|>user\n${q}<|im_end|>\n<|im_start|>assistant\n`,
    followUp: (a, f) => `${fenced(a)}<|im_end|>\n<|im_start|>user\n${f}<|im_end|>\n<|im_start|>assistant\n`,
    stop: ['<|endoftext|>', '<|im_end|>', '<|fim_pad|>', '<|repo_name|>', '<|file_sep|>'],
  },
  starcoder: {
    name: 'starcoder',
    fim: (p, s) => `<fim_prefix>${p}<fim_suffix>${s}<fim_middle>`,
    chat: (q) => `### Instruction\n${q}\n\n### Response\n`,
    followUp: (a, f) => `${fenced(a)}\n\n### Instruction\n${f}\n\n### Response\n`,
    stop: ['<|endoftext|>', '<file_sep>', '### Instruction'],
  },
  deepseek: {
    name: 'deepseek',
    fim: (p, s) => `<｜fim▁begin｜>${p}<｜fim▁hole｜>${s}<｜fim▁end｜>`,
    chat: (q) => `${SYSTEM}\n### Instruction:\n${q}\n### Response:\n`,
    followUp: (a, f) => `${fenced(a)}\n### Instruction:\n${f}\n### Response:\n`,
    stop: ['<｜end▁of▁sentence｜>', '<|EOT|>'],
  },
  codellama: {
    name: 'codellama',
    fim: (p, s) => `<PRE> ${p} <SUF>${s} <MID>`,
    chat: (q) => `[INST] ${q} [/INST]\n`,
    followUp: (a, f) => `${fenced(a)} </s><s>[INST] ${f} [/INST]\n`,
    stop: ['</s>', '<EOT>'],
  },
};

/** SPEC §5: appended to the training question of stdio problems (of every problem, with `always`). */
export const STDIO_INSTRUCTION =
  'Read the inputs from stdin solve the problem and write the answer to stdout (do not directly test on the sample inputs).';

/** The question as the training contexts carry it (SPEC §5). */
export function trainingQuestion(question: string, testKind: string, always = false): string {
  return always || testKind === 'stdio' ? `${question}\n${STDIO_INSTRUCTION}` : question;
}

/**
 * The chat training context of SPEC §5, the one seam of every pair and of the trainer: the chat prompt, a
 * code fence, and the prefix. A full target's prefix is empty, so its response is the whole program,
 * header included, formatted as in the program: a starter code in the context would be spelled twice
 * (and differently, where the formatter changed it in the program).
 */
export function chatContext(family: PromptFamily, question: string, prefix: string): string {
  return family.chat(question) + '```python\n' + prefix;
}

export function promptFamily(name: string): PromptFamily {
  const f = PROMPT_FAMILIES[name];
  if (!f)
    throw new Error(
      `unknown prompt family "${name}"; choose one of ${Object.keys(PROMPT_FAMILIES).join(', ')}`,
    );
  return f;
}

/** Convert(q) of SPEC §2.4: the question as Python comments, blank lines kept empty. */
export function convertQuestion(question: string): string {
  return question
    .split('\n')
    .map((line) => (line.trim() ? `# ${line}` : ''))
    .join('\n');
}

/** Indentation and keyword of the middle's first line: the start string the candidate must begin with. */
export function startString(middle: string, keyword: string): string {
  const first = middle.split('\n', 1)[0] ?? '';
  return first.slice(0, first.length - first.trimStart().length) + keyword;
}
