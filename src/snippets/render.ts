import { readFile } from "node:fs/promises";
import { renderTemplate, type PlannedFile } from "../generator/render.js";
import type { Snippet } from "./catalog.js";

/** Start of the comment line that opens every rendered snippet file. */
export const HEADER_PREFIX = "# secure-fastapi snippet: ";

/** The first line of a rendered snippet: its id, its version and where to look for changes. */
export function snippetHeader(snippet: Pick<Snippet, "id" | "version">): string {
  return `${HEADER_PREFIX}${snippet.id} v${snippet.version} (secure-fastapi snippets diff ${snippet.id})`;
}

/**
 * Decide whether a snippet belongs in a project rendered with `context`.
 * Throws when `when` names a key that is not a boolean, which is a typo in
 * the manifest rather than a false condition.
 */
export function snippetApplies(snippet: Snippet, context: object): boolean {
  if (snippet.when === undefined) return true;
  const value = (context as Record<string, unknown>)[snippet.when];
  if (typeof value !== "boolean") {
    throw new Error(
      `Snippet ${snippet.id}: "when" names ${snippet.when}, which is not a boolean in the template context.`,
    );
  }
  return value;
}

/** Render one snippet with the project's template context, header line first. */
export async function renderSnippet(snippet: Snippet, context: object): Promise<string> {
  const source = await readFile(snippet.source, "utf8");
  const body = renderTemplate(source, context, `snippets/${snippet.id}`);
  return `${snippetHeader(snippet)}\n${body}`;
}

export interface RenderedSnippet {
  snippet: Snippet;
  file: PlannedFile;
}

/** Render every snippet of the catalog that generated projects use and whose condition holds. */
export async function renderSnippets(catalog: readonly Snippet[], context: object): Promise<RenderedSnippet[]> {
  const rendered: RenderedSnippet[] = [];
  for (const snippet of catalog) {
    if (snippet.target === undefined || !snippetApplies(snippet, context)) continue;
    const content = await renderSnippet(snippet, context);
    rendered.push({ snippet, file: { path: snippet.target, content } });
  }
  return rendered;
}
