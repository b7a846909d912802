import { lstat, mkdir, mkdtemp, readdir, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { CliError } from "../errors.js";
import type { PlannedFile } from "./render.js";

/** Files that --force keeps when they already exist, because they hold secrets. */
const KEEP_EXISTING = new Set([".env"]);

/** Files written readable by the owner only. */
const PRIVATE_FILES = new Set([".env"]);

const stagingFolders = new Set<string>();

/** Remove every staging folder still on disk; the SIGINT handler calls this. */
export async function removeStagingFolders(): Promise<void> {
  await Promise.all([...stagingFolders].map((folder) => rm(folder, { recursive: true, force: true })));
  stagingFolders.clear();
}

/** Resolve a planned path inside the target, rejecting anything that escapes it. */
export function resolveInside(root: string, relative: string): string {
  const resolved = path.resolve(root, relative);
  const fromRoot = path.relative(root, resolved);
  if (fromRoot === "" || fromRoot.startsWith("..") || path.isAbsolute(fromRoot)) {
    throw new CliError(`Refusing to write ${JSON.stringify(relative)}: it resolves outside ${root}.`);
  }
  return resolved;
}

async function statOrNull(target: string) {
  try {
    return await lstat(target);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw error;
  }
}

export type TargetState = "missing" | "empty" | "not-empty";

export async function inspectTarget(target: string): Promise<TargetState> {
  const stats = await statOrNull(target);
  if (stats === null) return "missing";
  if (!stats.isDirectory()) {
    throw new CliError(`Cannot create the project in ${target}: it exists and is not a directory.`, {
      hint: "Choose another directory name.",
    });
  }
  return (await readdir(target)).length === 0 ? "empty" : "not-empty";
}

/**
 * Check that moving each file into an existing target replaces only regular
 * files and never follows a symbolic link out of the target.
 */
async function checkExistingTarget(target: string, files: PlannedFile[]): Promise<void> {
  for (const file of files) {
    const parts = file.path.split("/");
    for (let depth = 1; depth <= parts.length; depth += 1) {
      const current = path.join(target, ...parts.slice(0, depth));
      const stats = await statOrNull(current);
      if (stats === null) break;
      const isLast = depth === parts.length;
      if (stats.isSymbolicLink() || (isLast ? !stats.isFile() : !stats.isDirectory())) {
        throw new CliError(`Cannot write ${file.path}: ${current} is in the way (a link, folder or special file).`, {
          hint: "Move it aside, or generate into an empty directory.",
        });
      }
    }
  }
}

async function stageFiles(staging: string, files: PlannedFile[]): Promise<void> {
  for (const file of files) {
    const destination = resolveInside(staging, file.path);
    await mkdir(path.dirname(destination), { recursive: true });
    const mode = PRIVATE_FILES.has(file.path) ? 0o600 : 0o644;
    await writeFile(destination, file.content, { mode, flag: "wx" });
  }
}

async function moveFilesInto(staging: string, target: string, files: PlannedFile[]): Promise<string[]> {
  const kept: string[] = [];
  for (const file of files) {
    const destination = resolveInside(target, file.path);
    if (KEEP_EXISTING.has(file.path) && (await statOrNull(destination)) !== null) {
      kept.push(file.path);
      continue;
    }
    await mkdir(path.dirname(destination), { recursive: true });
    await rename(path.join(staging, file.path), destination);
  }
  return kept;
}

export interface WriteOptions {
  force: boolean;
  /** Runs on the staged copy before anything reaches the target; throw to abort. */
  verify?: (stagingRoot: string) => Promise<void>;
}

/**
 * Write a project atomically: render into a staging folder beside the target,
 * verify it, then rename it into place. A failure at any step leaves the
 * target as it was. Returns the paths that --force kept unchanged.
 */
export async function writeProject(target: string, files: PlannedFile[], options: WriteOptions): Promise<string[]> {
  const state = await inspectTarget(target);
  if (state === "not-empty" && !options.force) {
    throw new CliError(`Directory ${target} exists and is not empty.`, {
      hint: "Choose a new directory, or pass --force to write the generated files into it (other files are kept).",
    });
  }
  if (state === "not-empty") await checkExistingTarget(target, files);
  const parent = path.dirname(target);
  const createdParent = await mkdir(parent, { recursive: true });
  const staging = await mkdtemp(path.join(parent, `.${path.basename(target)}.staging-`));
  stagingFolders.add(staging);
  try {
    await stageFiles(staging, files);
    await options.verify?.(staging);
    if (state === "missing") {
      await rename(staging, target);
      return [];
    }
    return await moveFilesInto(staging, target, files);
  } catch (error) {
    if (createdParent !== undefined && state === "missing") {
      await rm(createdParent, { recursive: true, force: true });
    }
    throw error;
  } finally {
    await rm(staging, { recursive: true, force: true });
    stagingFolders.delete(staging);
  }
}
