import { lstat, mkdir, mkdtemp, readdir, rename, rm, stat, writeFile } from "node:fs/promises";
import type { Stats } from "node:fs";
import path from "node:path";
import { CliError } from "../errors.js";
import type { PlannedFile } from "./render.js";

/** Files that --force keeps when they already exist, because they hold secrets. */
const KEEP_EXISTING = new Set([".env"]);

/** Files written readable by the owner only. */
const PRIVATE_FILES = new Set([".env"]);

/** Folder inside the staging folder that keeps the files --force replaced until the move succeeds. */
const BACKUP_FOLDER = ".replaced";

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

function errorCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

async function lstatOrNull(target: string) {
  try {
    return await lstat(target);
  } catch (error) {
    if (errorCode(error) === "ENOENT") return null;
    throw error;
  }
}

export type TargetState = "missing" | "empty" | "not-empty";

export async function inspectTarget(target: string): Promise<TargetState> {
  const link = await lstatOrNull(target);
  if (link === null) return "missing";
  let stats;
  try {
    stats = await stat(target);
  } catch {
    throw new CliError(`Cannot create the project in ${target}: it is a broken symbolic link.`, {
      hint: "Remove the link or choose another directory name.",
    });
  }
  if (!stats.isDirectory()) {
    throw new CliError(`Cannot create the project in ${target}: it exists and is not a directory.`, {
      hint: "Choose another directory name.",
    });
  }
  return (await readdir(target)).length === 0 ? "empty" : "not-empty";
}

/** The effect of writing the plan on files already in the target. */
export interface TargetPlan {
  state: TargetState;
  /** Existing files that the generated ones replace (only with --force). */
  replaced: string[];
  /** Existing files that --force keeps, such as .env. */
  kept: string[];
}

/**
 * Check that moving each file into an existing target replaces only regular
 * files and never follows a symbolic link out of the target.
 */
/** Name the kind of a file-system entry that blocks a generated path. */
function describeEntry(stats: Stats): string {
  if (stats.isSymbolicLink()) return "a symbolic link";
  if (stats.isDirectory()) return "a folder where a file belongs";
  if (stats.isFile()) return "a file where a folder belongs";
  return "a special file such as a socket or FIFO";
}

async function existingFiles(target: string, files: PlannedFile[]): Promise<string[]> {
  const existing: string[] = [];
  for (const file of files) {
    const parts = file.path.split("/");
    for (let depth = 1; depth <= parts.length; depth += 1) {
      const current = path.join(target, ...parts.slice(0, depth));
      const stats = await lstatOrNull(current);
      if (stats === null) break;
      const isLast = depth === parts.length;
      if (stats.isSymbolicLink() || (isLast ? !stats.isFile() : !stats.isDirectory())) {
        throw new CliError(`Cannot write ${file.path}: ${current} is in the way (${describeEntry(stats)}).`, {
          hint: "Move it aside, or generate into an empty directory.",
        });
      }
      if (isLast) existing.push(file.path);
    }
  }
  return existing;
}

/** Inspect the target and list what a write would replace; throws when it would be refused. */
export async function planTarget(target: string, files: PlannedFile[], force: boolean): Promise<TargetPlan> {
  const state = await inspectTarget(target);
  if (state === "not-empty" && !force) {
    throw new CliError(`Directory ${target} exists and is not empty.`, {
      hint: "Choose a new directory, or pass --force to replace the generated files in it (other files are kept).",
    });
  }
  if (state !== "not-empty") return { state, replaced: [], kept: [] };
  const existing = await existingFiles(target, files);
  return {
    state,
    replaced: existing.filter((file) => !KEEP_EXISTING.has(file)),
    kept: existing.filter((file) => KEEP_EXISTING.has(file)),
  };
}

async function stageFiles(staging: string, files: PlannedFile[]): Promise<void> {
  for (const file of files) {
    const destination = resolveInside(staging, file.path);
    await mkdir(path.dirname(destination), { recursive: true });
    const mode = PRIVATE_FILES.has(file.path) ? 0o600 : 0o644;
    await writeFile(destination, file.content, { mode, flag: "wx" });
  }
}

/** One step of a move into an existing target, recorded so it can be undone. */
interface MoveStep {
  destination: string;
  backup: string | null;
  placed: boolean;
  createdFolder: string | undefined;
}

async function undoMoves(steps: MoveStep[]): Promise<void> {
  for (const step of steps.reverse()) {
    if (step.placed) await rm(step.destination, { force: true });
    if (step.backup !== null) await rename(step.backup, step.destination);
    if (step.createdFolder !== undefined) await rm(step.createdFolder, { recursive: true, force: true });
  }
}

/**
 * Move staged files into an existing target. Files that are replaced are first
 * moved into the staging folder, so a failure part-way puts every one back.
 */
async function moveFilesInto(staging: string, target: string, files: PlannedFile[], plan: TargetPlan): Promise<void> {
  const steps: MoveStep[] = [];
  try {
    for (const file of files.filter((item) => !plan.kept.includes(item.path))) {
      const destination = resolveInside(target, file.path);
      const step: MoveStep = { destination, backup: null, placed: false, createdFolder: undefined };
      steps.push(step);
      step.createdFolder = await mkdir(path.dirname(destination), { recursive: true });
      if (plan.replaced.includes(file.path)) {
        const backup = path.join(staging, BACKUP_FOLDER, file.path);
        await mkdir(path.dirname(backup), { recursive: true });
        await rename(destination, backup);
        step.backup = backup;
      }
      await rename(path.join(staging, file.path), destination);
      step.placed = true;
    }
  } catch (error) {
    await undoMoves(steps);
    throw error;
  }
}

function describeFileError(error: unknown, target: string): CliError {
  const nodeError = error as NodeJS.ErrnoException;
  const where = nodeError.path ?? target;
  const reasons: Record<string, string> = {
    EACCES: "permission denied",
    EPERM: "permission denied",
    EROFS: "the file system is read-only",
    ENOSPC: "no space left on the device",
    ENOTDIR: "a part of the path is a file, not a directory",
    ENAMETOOLONG: "the path is too long",
    ELOOP: "too many symbolic links",
    EEXIST: "a file is in the way",
  };
  const reason = reasons[nodeError.code ?? ""] ?? nodeError.message;
  return new CliError(`Cannot write the project to ${target}: ${reason} (${where}). Nothing was written.`, {
    hint: "Choose a directory you can write to, or fix the path and run again.",
  });
}

export interface WriteOptions {
  force: boolean;
  /** Runs on the staged copy before anything reaches the target; throw to abort. */
  verify?: (stagingRoot: string) => Promise<void>;
}

/**
 * Write a project atomically: render into a staging folder beside the target,
 * verify it, then rename it into place. A failure at any step leaves the
 * target as it was. Returns what happened to files already in the target.
 */
export async function writeProject(target: string, files: PlannedFile[], options: WriteOptions): Promise<TargetPlan> {
  try {
    return await writeStaged(target, files, options, await planTarget(target, files, options.force));
  } catch (error) {
    throw errorCode(error) === undefined ? error : describeFileError(error, target);
  }
}

async function writeStaged(target: string, files: PlannedFile[], options: WriteOptions, plan: TargetPlan) {
  let createdParent: string | undefined;
  let staging: string | undefined;
  try {
    createdParent = await mkdir(path.dirname(target), { recursive: true });
    staging = await mkdtemp(path.join(path.dirname(target), ".csf-staging-"));
    stagingFolders.add(staging);
    await stageFiles(staging, files);
    await options.verify?.(staging);
    if (plan.state === "missing") {
      await rename(staging, target);
    } else {
      await moveFilesInto(staging, target, files, plan);
    }
    return plan;
  } catch (error) {
    if (createdParent !== undefined && plan.state === "missing") {
      await rm(createdParent, { recursive: true, force: true });
    }
    throw error;
  } finally {
    if (staging !== undefined) {
      await rm(staging, { recursive: true, force: true });
      stagingFolders.delete(staging);
    }
  }
}
