/** ruff's default line length, which generated projects use too. */
export const MAX_LINE_LENGTH = 88;

const INDENT = "    ";

/**
 * Lay out a call statement as ruff format (like black) does: on one line
 * when it fits, else with all arguments on one indented line, else one
 * argument per line with a trailing comma. `indentWidth` is the indentation
 * the lines will get; the returned lines do not include it.
 */
export function formatCall(callee: string, args: readonly string[], indentWidth: number): string[] {
  const oneLine = `${callee}(${args.join(", ")})`;
  if (indentWidth + oneLine.length <= MAX_LINE_LENGTH) return [oneLine];
  const joined = args.join(", ");
  if (indentWidth + INDENT.length + joined.length <= MAX_LINE_LENGTH) return [`${callee}(`, `${INDENT}${joined}`, ")"];
  return [`${callee}(`, ...args.map((arg) => `${INDENT}${arg},`), ")"];
}
