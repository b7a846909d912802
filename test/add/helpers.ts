import { execa } from "execa";
import { cp, readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { runAddCommand, type AddOptions } from "../../src/add/command.js";
import { scanPaths } from "../../src/scanner/index.js";
import { runInProcess, type CommandResult } from "../snippets/helpers.js";

export { commitAll, generateProject, gitStatus } from "../snippets/helpers.js";

export const FIXTURES = path.resolve("test/fixtures/projects");

/** Copy a hand-written fixture project into `parent`. */
export async function copyFixture(name: string, parent: string): Promise<string> {
  const root = path.join(parent, name);
  await cp(path.join(FIXTURES, name), root, { recursive: true });
  return root;
}

/** Run `secure-fastapi add` in-process on a project, without a terminal. */
export function add(
  root: string,
  argv: string[],
  options: Omit<AddOptions, "cwd"> & { interactive?: boolean } = {},
): Promise<CommandResult> {
  const { interactive = false, ...rest } = options;
  return runInProcess((io) => runAddCommand(argv, { ...io, interactive }, { cwd: root, ...rest }));
}

/** Findings and parse errors of the bundled scanner on a project, as `path:line RULE` lines. */
export async function scanProblems(root: string): Promise<string[]> {
  const report = await scanPaths([root], { cwd: root });
  return [
    ...report.findings.map((finding) => `${finding.path}:${finding.line} ${finding.ruleId} ${finding.message}`),
    ...report.errors.map((error) => `${error.path}: ${error.message}`),
  ];
}

/** Run the project's own pytest suite with the shared virtual environment; returns its output on failure. */
export async function runPytest(
  bin: string,
  root: string,
  env: Record<string, string> = {},
): Promise<{ ok: boolean; output: string }> {
  const result = await execa(path.join(bin, "python"), ["-m", "pytest", "-q", "-p", "no:cacheprovider"], {
    cwd: root,
    env,
    reject: false,
  });
  const output = `${result.stdout}\n${result.stderr}`;
  return { ok: result.exitCode === 0 && /\d+ passed/.test(result.stdout), output: output.slice(-4000) };
}

/** List every file under a folder except .git, as sorted POSIX paths. */
export async function listTree(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(root, path.join(entry.parentPath, entry.name)).split(path.sep).join("/"))
    .filter((file) => !file.startsWith(".git/") && !file.includes("__pycache__"))
    .sort();
}

export async function read(root: string, file: string): Promise<string> {
  return readFile(path.join(root, file), "utf8");
}

export async function commitChanges(root: string, message: string): Promise<void> {
  await execa("git", ["add", "--all"], { cwd: root });
  await execa(
    "git",
    ["-c", "user.name=Test", "-c", "user.email=test@example.com", "commit", "--quiet", "--allow-empty", "-m", message],
    {
      cwd: root,
    },
  );
}
