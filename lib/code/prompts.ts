/** Prompt formats of the model families StructFlow can target (`--family`). */
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

/** Appended to the question of stdio problems in every chat turn and training context (of every problem, with `always`). */
export const STDIO_INSTRUCTION =
  'Read the inputs from stdin solve the problem and write the answer to stdout (do not directly test on the sample inputs).';

/** The sentence before the interface a whole program must keep (LiveCodeBench's wording, shortened). */
export const INTERFACE_INSTRUCTION = 'Use the following starter code to write the solution:';

/** What a prompt needs of a problem. */
export interface Task {
  question: string;
  /** `stdio`, `call` or `assert`. */
  test_kind: string;
  starter_code: string;
}

/**
 * The question as a prompt states it: without blank lines around it, and without the starter code when it
 * quotes it (a HumanEval question is its starter code): the code is stated once, where the code goes.
 */
export function description(task: Task): string {
  const starter = task.starter_code.trim();
  const q = starter && task.question.includes(starter) ? task.question.replace(starter, '') : task.question;
  return q.replace(/^\s*\n/, '').trimEnd();
}

/** The names an interface defines (`def name`, `class name`, at any indentation). */
const definedNames = (code: string) =>
  [...code.matchAll(/^[ \t]*(?:async[ \t]+)?(?:def|class)[ \t]+([A-Za-z_]\w*)/gm)].map((m) => m[1]!);

/** Whether `code` (what a prompt already shows of the program) lacks a name the starter code defines. */
function lacksInterface(starter: string, code: string): boolean {
  if (!starter.trim()) return false;
  const names = definedNames(starter);
  if (!names.length) return !code.includes(starter.trim());
  const shown = new Set(definedNames(code));
  return names.some((n) => !shown.has(n));
}

export interface TaskTextOptions {
  /** Append the stdin instruction to a stdio problem's question (default true; the FIM generation prompt has none). */
  instruction?: boolean;
  /** ... to every problem's question (the reference's habit). */
  always?: boolean;
}

/**
 * The task as a prompt states it before the code: the description, the stdin instruction of stdio problems,
 * and, when `code` (what the prompt shows of the program: nothing for a whole program, else the prefix, and
 * the suffix in FIM) lacks a name the starter code defines, the interface in a fenced block: a model cannot
 * guess the names the tests call. Where the code shows the interface, it is not stated again.
 */
export function taskText(task: Task, code: string, opts: TaskTextOptions = {}): string {
  const d = description(task);
  const instruct = (opts.instruction ?? true) && (opts.always || task.test_kind === 'stdio');
  const q = [d, instruct ? STDIO_INSTRUCTION : ''].filter(Boolean).join('\n');
  if (!lacksInterface(task.starter_code, code)) return q;
  const starter = task.starter_code.trimEnd().replace(/^\s*\n/, '');
  return [q, `${INTERFACE_INSTRUCTION}\n\`\`\`python\n${starter}\n\`\`\``].filter(Boolean).join('\n\n');
}

/**
 * The chat context, the one seam of every pair, of generation and of the trainer: the chat prompt, a code
 * fence, and the prefix. A full target's prefix is empty, so its response is the whole program, formatted as
 * in the program, and its interface is in the user turn (it cannot be after the fence: the formatter may
 * have changed it in the program).
 */
export function chatContext(family: PromptFamily, task: Task, prefix: string, always = false): string {
  return family.chat(taskText(task, prefix, { always })) + '```python\n' + prefix;
}

/** The FIM context: the task as comments (none when it says nothing the code does not), then the code around the hole. */
export function fimContext(
  family: PromptFamily,
  task: Task,
  prefix: string,
  suffix: string,
  opts: TaskTextOptions = {},
): string {
  const head = taskText(task, prefix + suffix, opts);
  return family.fim(head ? `${convertQuestion(head)}\n\n${prefix}` : prefix, suffix);
}

/** A record's task fields, from its problem. */
export const taskOf = (p: { question: string; starter_code: string; tests: { kind: string } }): Task => ({
  question: p.question,
  test_kind: p.tests.kind,
  starter_code: p.starter_code,
});

export function promptFamily(name: string): PromptFamily {
  const f = PROMPT_FAMILIES[name];
  if (!f)
    throw new Error(
      `unknown prompt family "${name}"; choose one of ${Object.keys(PROMPT_FAMILIES).join(', ')}`,
    );
  return f;
}

/** The question as Python comments, blank lines kept empty: how a FIM prompt or context states it. */
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
