/** A fenced code block of a Markdown file. */
export interface CodeBlock {
  /** The README, relative to the repository root. */
  readonly file: string;
  /** 1-based line of the opening fence. */
  readonly line: number;
  /** The fence's language (`ts`, `sh`, `json`, `text`, ...). */
  readonly language: string;
  /** The words after the language on the fence line (`spec.json` in "```json spec.json"). */
  readonly info: readonly string[];
  readonly code: string;
}

/**
 * The fenced code blocks of a Markdown text, in order (``` fences only; an
 * unclosed fence is an error naming its line, so a broken README cannot hide a block).
 *
 * @example
 * ```ts
 * codeBlocks('README.md', '# x\n```ts\nconst a = 1;\n```\n'); // [{ file: 'README.md', line: 2, language: 'ts', info: [], code: 'const a = 1;\n' }]
 * ```
 */
export function codeBlocks(file: string, markdown: string): CodeBlock[] {
  const blocks: CodeBlock[] = [];
  const lines = markdown.split('\n');
  let open: { line: number; language: string; info: string[]; body: string[] } | undefined;
  lines.forEach((text, i) => {
    const fence = /^```(.*)$/.exec(text);
    if (open === undefined) {
      if (fence === null) return;
      const [language = '', ...info] = (fence[1] ?? '').trim().split(/\s+/);
      open = { line: i + 1, language, info, body: [] };
      return;
    }
    if (fence !== null && (fence[1] ?? '').trim() === '') {
      blocks.push({ file, line: open.line, language: open.language, info: open.info, code: `${open.body.join('\n')}\n` });
      open = undefined;
      return;
    }
    open.body.push(text);
  });
  if (open !== undefined) throw new Error(`${file}:${open.line}: the code fence opened here is never closed`);
  return blocks;
}
