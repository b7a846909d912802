import { readFile } from "node:fs/promises";
import { resolveInside } from "../generator/write.js";
import { templateContext } from "../generator/plan.js";
import { loadCatalog, type Snippet } from "./catalog.js";
import { renderSnippet, snippetApplies } from "./render.js";
import { readState, type ManagedFile, type ProjectState } from "./state.js";

/** A project with a state file, and the snippet catalog to compare it with. */
export interface SnippetProject {
  root: string;
  state: ProjectState;
  catalog: Snippet[];
  /** The template context of this project, rendered by the running generator version. */
  context: object;
}

export async function loadSnippetProject(
  root: string,
  generatorVersion: string,
  snippetsRoot?: string,
): Promise<SnippetProject> {
  const state = await readState(root);
  const catalog = await loadCatalog(snippetsRoot);
  const { name, options } = state.project;
  // Snippets that `add` places in other projects use no template values.
  const context = options === null ? {} : templateContext({ name, options, generatorVersion });
  return { root, state, catalog, context };
}

/** Start of a conflict block that `snippets update` wrote. */
export const CONFLICT_START = "<<<<<<< yours";

/** The state of one managed file, compared with what the project received and with the latest snippet. */
export interface FileStatus {
  entry: ManagedFile;
  /** The catalog's snippet, or undefined when the catalog no longer has it. */
  snippet: Snippet | undefined;
  /** The file on disk, or null when it is missing. */
  current: string | null;
  /** The latest snippet rendered for this project, or null when it no longer applies. */
  latest: string | null;
}

export function isEdited(status: FileStatus): boolean {
  return status.current !== null && status.current !== status.entry.base;
}

export function hasUpstreamChange(status: FileStatus): boolean {
  return status.latest !== null && status.latest !== status.entry.base;
}

export function hasConflictMarkers(text: string): boolean {
  return text.split("\n").some((line) => line.startsWith(CONFLICT_START));
}

async function readOptional(file: string): Promise<string | null> {
  try {
    return await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw error;
  }
}

export async function fileStatus(project: SnippetProject, entry: ManagedFile): Promise<FileStatus> {
  const snippet = project.catalog.find((item) => item.id === entry.snippet);
  const current = await readOptional(resolveInside(project.root, entry.path));
  // `when` selects snippets for generated projects. Modules that `add` placed
  // in other projects render without template values, so they always apply.
  const placedByAdd = project.state.project.options === null;
  const applies = snippet !== undefined && (placedByAdd || snippetApplies(snippet, project.context));
  const latest = applies ? await renderSnippet(snippet, project.context) : null;
  return { entry, snippet, current, latest };
}

/** Describe a file's state in one short phrase for `snippets list`. */
export function describeStatus(status: FileStatus): string {
  if (status.current === null) return "missing";
  if (status.snippet === undefined) return "no longer in the catalog";
  if (status.latest === null) return "no longer applies";
  if (status.entry.version > status.snippet.version) return "newer than this release";
  const parts: string[] = [];
  if (hasConflictMarkers(status.current)) parts.push("unresolved conflict");
  else if (isEdited(status)) parts.push("edited");
  parts.push(hasUpstreamChange(status) ? `v${status.snippet.version} available` : "up to date");
  return parts.join(", ");
}
