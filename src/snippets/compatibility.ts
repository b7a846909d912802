import { CliError } from "../errors.js";
import type { Snippet } from "./catalog.js";
import { STATE_FILE, type ProjectState } from "./state.js";

const SEMVER = /^v?(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/;

function compareIdentifiers(a: string, b: string): number {
  const numericA = /^\d+$/.test(a);
  const numericB = /^\d+$/.test(b);
  if (numericA && numericB) return Number(a) - Number(b);
  if (numericA !== numericB) return numericA ? -1 : 1;
  if (a === b) return 0;
  return a < b ? -1 : 1;
}

/**
 * Compare two semantic versions by precedence (semver.org 2.0.0, section 11):
 * negative when `a` is older, zero when equal, positive when newer. Returns
 * null when either is not `MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD]`.
 */
export function compareVersions(a: string, b: string): number | null {
  const left = SEMVER.exec(a);
  const right = SEMVER.exec(b);
  if (!left || !right) return null;
  for (let part = 1; part <= 3; part++) {
    const difference = Number(left[part]) - Number(right[part]);
    if (difference !== 0) return difference;
  }
  const preLeft = left[4]?.split(".") ?? [];
  const preRight = right[4]?.split(".") ?? [];
  // A version without a prerelease ranks above the same version with one.
  if (preLeft.length === 0 || preRight.length === 0) return preRight.length - preLeft.length;
  for (let index = 0; index < Math.min(preLeft.length, preRight.length); index++) {
    const difference = compareIdentifiers(preLeft[index] as string, preRight[index] as string);
    if (difference !== 0) return difference;
  }
  return preLeft.length - preRight.length;
}

/** A state entry whose snippet version is newer than the catalog of this release. */
export interface NewerSnippet {
  path: string;
  snippet: string;
  recorded: number;
  available: number;
}

/** The parts of a state file that are newer than this release: snippet versions, and the generator version. */
export interface NewerState {
  snippets: NewerSnippet[];
  /** The generator version in the state when it is newer than this package's, else undefined. */
  generatorVersion: string | undefined;
}

/** Find the snippet versions and the generator version in a state that are newer than this release's. */
export function findNewerState(state: ProjectState, catalog: readonly Snippet[], packageVersion: string): NewerState {
  const snippets: NewerSnippet[] = [];
  for (const entry of state.files) {
    const snippet = catalog.find((item) => item.id === entry.snippet);
    if (snippet && entry.version > snippet.version) {
      snippets.push({ path: entry.path, snippet: entry.snippet, recorded: entry.version, available: snippet.version });
    }
  }
  const recorded = state.generator.version;
  const newer = (compareVersions(recorded, packageVersion) ?? 0) > 0;
  return { snippets, generatorVersion: newer ? recorded : undefined };
}

/**
 * Reject a state that a newer release of create-secure-fastapi wrote, with
 * exit code 2, because this release would put older snippet versions over
 * newer ones. `snippets list` shows such a state instead of calling this.
 */
export function checkStateNotNewer(state: ProjectState, catalog: readonly Snippet[], packageVersion: string): void {
  const newer = findNewerState(state, catalog, packageVersion);
  if (newer.snippets.length === 0 && newer.generatorVersion === undefined) return;
  const sentences: string[] = [];
  if (newer.generatorVersion !== undefined) {
    sentences.push(
      `${STATE_FILE} was last written by create-secure-fastapi ${newer.generatorVersion}, which is newer than this release, ${packageVersion}.`,
    );
  }
  if (newer.snippets.length > 0) {
    const items = newer.snippets.map(
      (item) => `snippet ${item.snippet} v${item.recorded} in ${item.path} (this release has v${item.available})`,
    );
    sentences.push(`${newer.generatorVersion === undefined ? STATE_FILE : "It"} records ${items.join(", ")}.`);
  }
  sentences.push("This release could replace newer snippets with older ones.");
  const target =
    newer.generatorVersion !== undefined
      ? `at least ${newer.generatorVersion}`
      : `a release that has ${newer.snippets.map((item) => `${item.snippet} v${item.recorded}`).join(", ")}`;
  throw new CliError(sentences.join(" "), {
    hint: `Upgrade create-secure-fastapi to ${target}; nothing was written.`,
    exitCode: 2,
  });
}
