import { CliError } from "../../errors.js";
import { getParser, parsePython } from "../../scanner/parse/parser.js";
import type { SyntaxNode } from "../../scanner/parse/syntax.js";

export type { SyntaxNode };

/** A parsed Python module of the project, with its POSIX path relative to the project root. */
export interface PythonModule {
  path: string;
  text: string;
  root: SyntaxNode;
}

/**
 * Parse a module with the scanner's tree-sitter parser. A file that does not
 * parse cannot be edited safely, so this throws a CliError naming it.
 */
export async function parseModule(filePath: string, text: string): Promise<PythonModule> {
  const parsed = parsePython(await getParser(), text);
  if (!("root" in parsed)) {
    throw new CliError(`Cannot parse ${filePath}: ${parsed.message}; nothing was written.`, {
      hint: "Fix the syntax error (python -m py_compile shows it), then run the command again.",
    });
  }
  return { path: filePath, text, root: parsed.root };
}

/** List the statement nodes directly inside a module or block, comments excluded. */
export function statements(block: SyntaxNode): SyntaxNode[] {
  return block.children.filter((child) => child.named && child.type !== "comment");
}

/** Return the expression that an `expression_statement` wraps, or null for other statements. */
export function expressionOf(statement: SyntaxNode): SyntaxNode | null {
  return statement.type === "expression_statement" ? statement.firstNamed : null;
}

/** Dotted text of a name or attribute chain (`a.b.c`), or null for other expressions. */
export function dottedName(node: SyntaxNode | null): string | null {
  if (node === null) return null;
  if (node.type === "identifier") return node.text;
  if (node.type === "attribute") {
    const object = dottedName(node.child("object"));
    const attribute = node.child("attribute");
    return object === null || attribute === null ? null : `${object}.${attribute.text}`;
  }
  return null;
}

/** Yield every node below `node` (itself included) in source order. */
export function* walk(node: SyntaxNode): Generator<SyntaxNode> {
  const stack: SyntaxNode[] = [node];
  while (stack.length > 0) {
    const current = stack.pop() as SyntaxNode;
    yield current;
    for (let i = current.children.length - 1; i >= 0; i--) stack.push(current.children[i] as SyntaxNode);
  }
}

/** Offset of the start of the line that contains `offset`. */
export function lineStart(text: string, offset: number): number {
  return text.lastIndexOf("\n", offset - 1) + 1;
}

/** Offset just after the line break that ends the line containing `offset` (or the text's end). */
export function nextLineStart(text: string, offset: number): number {
  const end = text.indexOf("\n", offset);
  return end === -1 ? text.length : end + 1;
}

/** Return the leading whitespace of the line that contains `offset`. */
export function indentAt(text: string, offset: number): string {
  const start = lineStart(text, offset);
  return /^[ \t]*/.exec(text.slice(start))?.[0] ?? "";
}

/** A text insertion at an offset; edits are applied from the end so offsets stay valid. */
export interface TextEdit {
  offset: number;
  text: string;
  /** Characters after `offset` that the edit replaces (0 for a pure insertion). */
  remove?: number;
}

export function applyEdits(text: string, edits: readonly TextEdit[]): string {
  const ordered = [...edits].sort((a, b) => b.offset - a.offset);
  let result = text;
  for (const edit of ordered) {
    result = result.slice(0, edit.offset) + edit.text + result.slice(edit.offset + (edit.remove ?? 0));
  }
  return result;
}

/**
 * Build the edit that inserts whole lines after the statement `node`, each
 * line indented like the statement. A text without a final newline gets one first.
 */
export function insertLinesAfter(text: string, node: SyntaxNode, lines: readonly string[]): TextEdit {
  const indent = indentAt(text, node.start);
  const offset = nextLineStart(text, node.end);
  const prefix = offset === text.length && !text.endsWith("\n") ? "\n" : "";
  return { offset, text: prefix + lines.map((line) => (line === "" ? "\n" : `${indent}${line}\n`)).join("") };
}

/**
 * Return the value of a plain string literal, or of adjacent ones
 * concatenated; null for other expressions and for f-strings and byte
 * strings. Escape sequences are kept as written.
 */
export function stringValue(node: SyntaxNode | null): string | null {
  if (node === null) return null;
  if (node.type === "concatenated_string") {
    const parts = node.namedChildren.map(stringValue);
    return parts.every((part) => part !== null) ? parts.join("") : null;
  }
  if (node.type !== "string") return null;
  const start = node.children.find((part) => part.type === "string_start");
  if (start && /[fbt]/i.test(start.text.replace(/['"]/g, ""))) return null;
  return node.children
    .filter((part) => part.type === "string_content")
    .map((part) => part.text)
    .join("");
}
