import type { ProjectOptions } from "../generator/options.js";
import type { Project } from "./project.js";

/** A change that `add` could not place safely: where it belongs and the exact lines. */
export interface ManualStep {
  file: string;
  /** Place in the file, such as "after `app = FastAPI(...)`". */
  where: string;
  lines: string;
  /** Reason the change was not placed automatically. */
  reason: string;
}

/** A generated file where the user's edits overlap the change, so the run writes nothing. */
export interface MergeConflict {
  file: string;
  /** The change the file needed, as a unified diff from the old to the new generated version. */
  diff: string;
}

/** A file written from a snippet, for the state file. */
export interface ManagedWrite {
  path: string;
  snippet: string;
  version: number;
  content: string;
}

/**
 * Everything one `add` run would do. File changes are staged on the
 * project, and this records what goes beside them.
 */
export interface AddPlan {
  project: Project;
  /** Set when the feature is already there; nothing else applies then. */
  alreadyPresent?: string;
  manual: ManualStep[];
  /** Files whose edits overlap the change; the command prints only their changes, not the whole diff. */
  conflicts: MergeConflict[];
  managed: ManagedWrite[];
  /** Lines printed after a successful write: settings to set, next steps. */
  notes: string[];
  /** Files whose added lines hold secrets, masked in the printed diff. */
  secretFiles: Set<string>;
  /** New generator options to record, when the feature changes them. */
  options?: ProjectOptions;
  /** State entries whose files the feature rewrote from scratch, with their new base. */
  rebased?: ManagedWrite[];
}

export function emptyPlan(project: Project): AddPlan {
  return { project, manual: [], conflicts: [], managed: [], notes: [], secretFiles: new Set() };
}

export function presentPlan(project: Project, message: string): AddPlan {
  return { ...emptyPlan(project), alreadyPresent: message };
}
