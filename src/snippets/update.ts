import type { PlannedFile } from "../generator/render.js";
import { mergeText } from "./git.js";
import { fileStatus, hasConflictMarkers, hasUpstreamChange, type FileStatus, type SnippetProject } from "./project.js";
import { serializeState, sha256, STATE_FILE, type ManagedFile } from "./state.js";

/**
 * What `snippets update` does to one managed file:
 * - `current`: nothing, the project has the latest version;
 * - `replaced`: the file was never edited, so the new version replaces it;
 * - `merged`: local edits and the new version merged cleanly;
 * - `conflict`: the merge left conflict blocks in the file;
 * - `skipped`: the snippet left the catalog or no longer applies, so the file stays;
 * - `blocked`: the file is missing or contains unresolved conflicts, so nothing is written.
 */
export type UpdateKind = "current" | "replaced" | "merged" | "conflict" | "skipped" | "blocked";

export interface FileUpdate {
  status: FileStatus;
  kind: UpdateKind;
  /** The file's new content, for `replaced`, `merged` and `conflict`. */
  result?: string;
  conflicts: number;
  /** Reason a file was skipped or blocked. */
  reason?: string;
}

/** Label of the incoming side of a conflict block, such as `secure-fastapi v2`. */
export function incomingLabel(version: number): string {
  return `secure-fastapi v${version}`;
}

async function planFileUpdate(status: FileStatus): Promise<FileUpdate> {
  const { entry, snippet, current, latest } = status;
  if (snippet === undefined) {
    return { status, kind: "skipped", conflicts: 0, reason: `snippet ${entry.snippet} is no longer in the catalog` };
  }
  if (latest === null) {
    return {
      status,
      kind: "skipped",
      conflicts: 0,
      reason: `snippet ${entry.snippet} no longer applies to this project's options`,
    };
  }
  if (current === null) {
    return { status, kind: "blocked", conflicts: 0, reason: "the file is missing; restore it from version control" };
  }
  if (hasConflictMarkers(current)) {
    return {
      status,
      kind: "blocked",
      conflicts: 0,
      reason: "it still has conflict markers from the last update; resolve them first",
    };
  }
  if (!hasUpstreamChange(status)) return { status, kind: "current", conflicts: 0 };
  if (current === entry.base) return { status, kind: "replaced", result: latest, conflicts: 0 };
  const merged = await mergeText(current, entry.base, latest, {
    current: "yours",
    base: `secure-fastapi v${entry.version}`,
    incoming: incomingLabel(snippet.version),
  });
  const kind = merged.conflicts > 0 ? "conflict" : "merged";
  return { status, kind, result: merged.text, conflicts: merged.conflicts };
}

/** Work out the update of every selected managed file, reading files but writing nothing. */
export async function planUpdate(project: SnippetProject, entries: readonly ManagedFile[]): Promise<FileUpdate[]> {
  const updates: FileUpdate[] = [];
  for (const entry of entries) {
    updates.push(await planFileUpdate(await fileStatus(project, entry)));
  }
  return updates;
}

/** Updates that change a file. */
export function writtenUpdates(updates: readonly FileUpdate[]): FileUpdate[] {
  return updates.filter((update) => update.result !== undefined);
}

/**
 * The files to write for an update: each changed file and the new state
 * file, in which each updated entry has the new version as its base and the
 * hash of what was written.
 */
export function updateFiles(
  project: SnippetProject,
  updates: readonly FileUpdate[],
  generatorVersion: string,
): PlannedFile[] {
  const written = writtenUpdates(updates);
  const byPath = new Map(written.map((update) => [update.status.entry.path, update]));
  const files = project.state.files.map((entry): ManagedFile => {
    const update = byPath.get(entry.path);
    if (update?.result === undefined || update.status.snippet === undefined || update.status.latest === null) {
      return entry;
    }
    return {
      path: entry.path,
      snippet: entry.snippet,
      version: update.status.snippet.version,
      sha256: sha256(update.result),
      base: update.status.latest,
    };
  });
  const state = {
    ...project.state,
    generator: { ...project.state.generator, version: generatorVersion },
    files,
  };
  const changed = written.filter((update) => update.result !== update.status.current);
  return [
    ...changed.map((update) => ({ path: update.status.entry.path, content: update.result as string })),
    { path: STATE_FILE, content: serializeState(state) },
  ];
}
