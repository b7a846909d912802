import { execa, type Options } from "execa";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { CliError } from "../errors.js";

const GIT_MISSING_HINT = "Install git and make sure it is on PATH; nothing was written.";

/** Run git; a missing executable becomes a CliError that names the problem. */
async function runGit(args: string[], options: Options & { cwd: string }) {
  try {
    return await execa("git", args, { ...options, reject: false, stripFinalNewline: false });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") {
      throw new CliError(
        "git was not found on PATH; it is needed to merge snippet updates and check for uncommitted changes.",
        {
          hint: GIT_MISSING_HINT,
        },
      );
    }
    throw error;
  }
}

/**
 * List which of `files` (POSIX paths relative to `root`) have uncommitted
 * changes: modified, staged, untracked or deleted. Throws a CliError when
 * `root` is not inside a git work tree, because then nothing protects the
 * user's edits from being overwritten.
 */
export async function findUncommittedFiles(root: string, files: readonly string[]): Promise<string[]> {
  const inside = await runGit(["rev-parse", "--is-inside-work-tree"], { cwd: root });
  if (inside.exitCode !== 0 || String(inside.stdout).trim() !== "true") {
    throw new CliError(
      `${root} is not inside a git repository, so uncommitted edits could not be recovered after a write.`,
      {
        hint: "Commit the project to git first, or pass --allow-dirty to write anyway; nothing was written.",
      },
    );
  }
  if (files.length === 0) return [];
  const status = await runGit(["status", "--porcelain=v1", "-z", "--untracked-files=all", "--", ...files], {
    cwd: root,
  });
  if (status.exitCode !== 0) {
    throw new CliError(`git status failed in ${root}: ${String(status.stderr).trim()}`);
  }
  const prefix = await runGit(["rev-parse", "--show-prefix"], { cwd: root });
  const fromTop = String(prefix.stdout).trim();
  return parsePorcelainPaths(String(status.stdout)).map((item) => item.slice(fromTop.length));
}

/**
 * Extract the paths from `git status --porcelain=v1 -z`, relative to the
 * repository root. A rename entry is followed by its source path, which is skipped.
 */
function parsePorcelainPaths(output: string): string[] {
  const fields = output.split("\0").filter((field) => field !== "");
  const paths: string[] = [];
  for (let index = 0; index < fields.length; index++) {
    const field = fields[index] as string;
    paths.push(field.slice(3));
    if (field[0] === "R" || field[0] === "C") index++;
  }
  return paths;
}

export interface MergeLabels {
  current: string;
  base: string;
  incoming: string;
}

export interface MergeResult {
  text: string;
  conflicts: number;
}

/**
 * Three-way merge of text with `git merge-file`: changes from `base` to
 * `incoming` are applied to `current`. Overlapping changes become conflict
 * blocks with the standard markers (`<<<<<<< current`, `=======`,
 * `>>>>>>> incoming`). The merge style is pinned, so a user's
 * merge.conflictStyle setting cannot add a base section.
 */
export async function mergeText(
  current: string,
  base: string,
  incoming: string,
  labels: MergeLabels,
): Promise<MergeResult> {
  const folder = await mkdtemp(path.join(tmpdir(), "secure-fastapi-merge-"));
  try {
    const files = {
      current: path.join(folder, "current"),
      base: path.join(folder, "base"),
      incoming: path.join(folder, "incoming"),
    };
    await writeFile(files.current, current);
    await writeFile(files.base, base);
    await writeFile(files.incoming, incoming);
    const args = ["-c", "merge.conflictStyle=merge", "merge-file", "-p"];
    args.push("-L", labels.current, "-L", labels.base, "-L", labels.incoming);
    args.push(files.current, files.base, files.incoming);
    const result = await runGit(args, { cwd: folder, encoding: "utf8" });
    const code = result.exitCode ?? -1;
    // merge-file exits with the number of conflicts, capped at 127, and negative on error.
    if (code < 0 || code > 127) {
      throw new CliError(`git merge-file failed: ${String(result.stderr).trim() || `exit code ${code}`}`);
    }
    return { text: String(result.stdout), conflicts: code };
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}
