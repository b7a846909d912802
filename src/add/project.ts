import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { resolveInside } from "../generator/write.js";
import { MissingStateError, readState, type ProjectState } from "../snippets/state.js";
import { parseModule, type PythonModule } from "./python/source.js";

/** Folders never searched for the application: tools, environments and build output. */
const SKIPPED_FOLDERS = new Set([
  ".git",
  ".hg",
  ".svn",
  ".venv",
  "venv",
  "env",
  "node_modules",
  "__pycache__",
  "site-packages",
  "build",
  "dist",
  ".tox",
  ".nox",
  ".mypy_cache",
  ".pytest_cache",
  ".ruff_cache",
  ".secure-fastapi",
]);

/** Test code defines applications and settings of its own, so it is not searched. */
export function isTestPath(relative: string): boolean {
  const parts = relative.split("/");
  const name = parts[parts.length - 1] ?? "";
  return (
    parts.slice(0, -1).some((part) => part === "tests" || part === "test") ||
    name === "conftest.py" ||
    name.startsWith("test_") ||
    name.endsWith("_test.py")
  );
}

/**
 * The project that `add` changes: its files, the modules parsed so far, and
 * its state file when it has one. Reads go through `read`, so each step works
 * on the edits that earlier steps of the same run made.
 */
export class Project {
  private readonly modules = new Map<string, PythonModule>();
  private readonly pending = new Map<string, string>();
  private files: string[] | null = null;

  constructor(
    readonly root: string,
    readonly state: ProjectState | null,
  ) {}

  static async open(root: string): Promise<Project> {
    let state: ProjectState | null = null;
    try {
      state = await readState(root);
    } catch (error) {
      if (!(error instanceof MissingStateError)) throw error;
    }
    return new Project(root, state);
  }

  /** True when create-secure-fastapi generated the project (its state records the options). */
  get generated(): boolean {
    return this.state !== null && this.state.project.options !== null;
  }

  /** List every file under the root outside skipped folders, and the files this run created, as sorted POSIX paths. */
  async listFiles(): Promise<string[]> {
    if (this.files) return this.files;
    const found: string[] = [];
    const visit = async (relative: string): Promise<void> => {
      const entries = await readdir(path.join(this.root, relative), { withFileTypes: true });
      for (const entry of entries) {
        const child = relative === "" ? entry.name : `${relative}/${entry.name}`;
        if (entry.isDirectory() && !SKIPPED_FOLDERS.has(entry.name)) await visit(child);
        else if (entry.isFile()) found.push(child);
      }
    };
    await visit("");
    this.files = [...new Set([...found, ...this.pending.keys()])].sort();
    return this.files;
  }

  async pythonFiles(): Promise<string[]> {
    return (await this.listFiles()).filter((file) => file.endsWith(".py"));
  }

  async exists(relative: string): Promise<boolean> {
    return (await this.read(relative)) !== null;
  }

  /** Read a file with this run's edits applied; null when it does not exist. */
  async read(relative: string): Promise<string | null> {
    const edited = this.pending.get(relative);
    return edited !== undefined ? edited : this.original(relative);
  }

  /** Parse a Python file, with this run's edits applied. */
  async module(relative: string): Promise<PythonModule> {
    const cached = this.modules.get(relative);
    if (cached) return cached;
    const text = await this.read(relative);
    if (text === null) throw new Error(`${relative} does not exist`);
    const parsed = await parseModule(relative, text);
    this.modules.set(relative, parsed);
    return parsed;
  }

  /** Record new text for a file; later reads and parses see it. Nothing reaches disk here. */
  stage(relative: string, text: string): void {
    this.pending.set(relative, text);
    this.modules.delete(relative);
    if (this.files && !this.files.includes(relative)) this.files = [...this.files, relative].sort();
  }

  /** List the files this run changed or created, with their new text, sorted by path. */
  staged(): { path: string; content: string }[] {
    return [...this.pending]
      .map(([file, content]) => ({ path: file, content }))
      .sort((a, b) => a.path.localeCompare(b.path));
  }

  /** Read a file as it is on disk, without this run's edits; null when it does not exist. */
  async original(relative: string): Promise<string | null> {
    try {
      return await readFile(resolveInside(this.root, relative), "utf8");
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "ENOENT" || code === "ENOTDIR" || code === "EISDIR") return null;
      throw error;
    }
  }

  /** Check whether `relative` is a folder that Python imports as a regular package. */
  async isPackage(relative: string): Promise<boolean> {
    return this.exists(relative === "" ? "__init__.py" : `${relative}/__init__.py`);
  }

  /**
   * Find the folder that Python imports a file's top package from: the parent
   * of the outermost folder with an `__init__.py`. Folders without one between
   * that and the project root are taken as namespace packages, unless the
   * folder is the root itself or `src`.
   */
  async importRoot(relative: string): Promise<string> {
    let folder = path.posix.dirname(relative);
    if (folder === ".") return "";
    while (folder !== "." && (await this.isPackage(folder))) folder = path.posix.dirname(folder);
    if (folder === "." || folder === "src") return folder === "." ? "" : folder;
    return "";
  }

  /** Compute the dotted module name of a Python file (`app.core.config` for app/core/config.py). */
  async moduleName(relative: string): Promise<string> {
    const base = await this.importRoot(relative);
    const inside = base === "" ? relative : relative.slice(base.length + 1);
    const parts = inside.replace(/\.py$/, "").split("/");
    if (parts[parts.length - 1] === "__init__") parts.pop();
    return parts.join(".");
  }

  /** Read the project's name: `name` in pyproject.toml's `[project]` table, else the folder's name. */
  async name(): Promise<string> {
    if (this.state) return this.state.project.name;
    const pyproject = (await this.read("pyproject.toml")) ?? "";
    const table = /^\[project\][ \t]*\n([\s\S]*?)(?=^\[|(?![\s\S]))/m.exec(pyproject)?.[1] ?? "";
    const declared = /^name\s*=\s*["']([^"'\n]+)["']/m.exec(table)?.[1];
    return declared ?? path.basename(path.resolve(this.root));
  }

  /** Top-level packages and modules of the project, which ruff's isort treats as first-party. */
  async firstPartyNames(): Promise<Set<string>> {
    const names = new Set<string>();
    for (const file of await this.pythonFiles()) {
      const dotted = await this.moduleName(file);
      const top = dotted.split(".")[0];
      if (top) names.add(top);
    }
    return names;
  }
}
