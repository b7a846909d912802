import { execa } from "execa";
import path from "node:path";

export interface StepResult {
  step: string;
  ok: boolean;
  detail: string;
}

async function insideGitWorkTree(directory: string): Promise<boolean> {
  const result = await execa("git", ["rev-parse", "--is-inside-work-tree"], { cwd: directory, reject: false });
  return result.exitCode === 0 && result.stdout.trim() === "true";
}

/** Run `git init` unless the project already sits inside a repository. */
export async function initGit(directory: string): Promise<StepResult> {
  try {
    if (await insideGitWorkTree(directory)) {
      return { step: "git", ok: true, detail: "already inside a git repository; skipped git init" };
    }
    await execa("git", ["init", "--quiet"], { cwd: directory });
    return { step: "git", ok: true, detail: "initialised a git repository" };
  } catch (error) {
    return { step: "git", ok: false, detail: `git init failed: ${(error as Error).message.split("\n")[0]}` };
  }
}

/** Create .venv with the first Python 3 on PATH and install the project with its dev tools. */
export async function installDependencies(directory: string): Promise<StepResult> {
  const python = process.platform === "win32" ? "python" : "python3";
  const pip = path.join(".venv", process.platform === "win32" ? "Scripts/pip.exe" : "bin/pip");
  try {
    await execa(python, ["-m", "venv", ".venv"], { cwd: directory });
    await execa(pip, ["install", "--quiet", "-e", ".[dev]"], { cwd: directory });
    return { step: "install", ok: true, detail: "installed dependencies into .venv" };
  } catch (error) {
    const output = String((error as { stderr?: unknown }).stderr ?? (error as Error).message);
    const lastLines = output.trim().split("\n").slice(-5).join("\n");
    return { step: "install", ok: false, detail: `installing dependencies failed:\n${lastLines}` };
  }
}
