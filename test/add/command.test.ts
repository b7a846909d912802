import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FEATURES, type Feature } from "../../src/add/features/index.js";
import { STATE_FILE } from "../../src/snippets/state.js";
import { add, commitAll, copyFixture, gitStatus, listTree, read } from "./helpers.js";

let workspace: string;
let root: string;

beforeEach(async () => {
  workspace = await mkdtemp(path.join(tmpdir(), "csf-add-command-"));
  root = await copyFixture("single-file", workspace);
  await commitAll(root);
});

afterEach(async () => {
  await rm(workspace, { recursive: true, force: true });
});

async function writeProjectFile(file: string, text: string): Promise<void> {
  await mkdir(path.dirname(path.join(root, file)), { recursive: true });
  await writeFile(path.join(root, file), text);
}

describe("secure-fastapi add", () => {
  it("dry run shows the diff only", async () => {
    const before = await listTree(root);
    const result = await add(root, ["cors", "--dry-run"]);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain("--- /dev/null\n+++ b/core/cors.py\n");
    expect(result.stdout).toContain("--- a/main.py\n+++ b/main.py\n");
    expect(result.stdout).toContain("+install_cors(app, origins=settings.CORS_ORIGINS)");
    expect(result.stdout).toContain("Dry run; nothing was written");
    expect(await listTree(root)).toEqual(before);
  });

  it("needs --yes without a terminal", async () => {
    const result = await add(root, ["cors"]);
    expect(result.exitCode).toBe(2);
    expect(result.stdout).toContain("+++ b/core/cors.py");
    expect(result.stderr).toContain("confirming the change needs a terminal");
    expect(result.stderr).toContain("pass --yes");
    expect(await gitStatus(root)).toBe("");
  });

  it("applies the change when the user confirms", async () => {
    const result = await add(root, ["cors"], { interactive: true, confirm: async () => true });
    expect(result.exitCode).toBe(0);
    expect(await read(root, "main.py")).toContain("install_cors(");
  });

  it("writes nothing when the user declines", async () => {
    const result = await add(root, ["cors"], { interactive: true, confirm: async () => false });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain("Not applied; nothing was written.");
    expect(await gitStatus(root)).toBe("");
  });

  it("writes nothing when the user cancels", async () => {
    const result = await add(root, ["cors"], { interactive: true, confirm: async () => Symbol("clack:cancel") });
    expect(result.exitCode).toBe(1);
    expect(await gitStatus(root)).toBe("");
  });

  it("rejects uncommitted changes", async () => {
    await writeFile(path.join(root, "main.py"), `${await read(root, "main.py")}# mine\n`);
    const result = await add(root, ["cors", "--yes"]);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain("Uncommitted changes in main.py; nothing was written.");
    expect(await gitStatus(root)).toBe(" M main.py");
  });

  it("writes over uncommitted changes with --allow-dirty", async () => {
    await writeFile(path.join(root, "main.py"), `${await read(root, "main.py")}# mine\n`);
    const result = await add(root, ["cors", "--yes", "--allow-dirty"]);
    expect(result.exitCode).toBe(0);
    const main = await read(root, "main.py");
    expect(main).toContain("# mine");
    expect(main).toContain("install_cors(");
  });

  it("rejects a project outside git", async () => {
    await rm(path.join(root, ".git"), { recursive: true, force: true });
    const rejected = await add(root, ["cors", "--yes"]);
    expect(rejected.exitCode).toBe(1);
    expect(rejected.stderr).toContain("is not inside a git repository");
    const allowed = await add(root, ["cors", "--yes", "--allow-dirty"]);
    expect(allowed.exitCode).toBe(0);
  });

  it("reports a corrupt state file and writes nothing", async () => {
    await writeProjectFile(STATE_FILE, "{ not json");
    await commitAll(root, "Break the state file");
    const result = await add(root, ["cors", "--yes"]);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(`Invalid state file ${path.join(root, STATE_FILE)}: it is not valid JSON`);
    expect(await gitStatus(root)).toBe("");
  });

  it("prints lines for unreachable settings", async () => {
    await writeProjectFile(
      "settings.py",
      "from pydantic_settings import BaseSettings\n\n\nclass Settings(BaseSettings):\n    debug: bool = False\n",
    );
    await commitAll(root, "Add settings");
    const result = await add(root, ["cors", "--yes"]);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain("Could not place every change safely, so nothing was written.");
    expect(result.stderr).toContain("main.py, after `app = FastAPI(...)` (no instance of Settings is visible there");
    expect(result.stderr).toContain("    from core.cors import install_cors\n");
    expect(result.stderr).toContain("    install_cors(app, origins=settings.cors_origins)\n");
    expect(await gitStatus(root)).toBe("");
  });

  it("imports the settings module's instance", async () => {
    await writeProjectFile(
      "settings.py",
      "from pydantic_settings import BaseSettings\n\n\nclass Settings(BaseSettings):\n    debug: bool = False\n\n\nsettings = Settings()\n",
    );
    await commitAll(root, "Add settings");
    const result = await add(root, ["cors", "--yes"]);
    expect(result.exitCode).toBe(0);
    const main = await read(root, "main.py");
    expect(main).toContain("from settings import settings\n");
    expect(main).toContain("install_cors(app, origins=settings.cors_origins)");
    expect(await read(root, "settings.py")).toContain("    debug: bool = False\n    cors_origins: CorsOrigins = []\n");
  });

  it("ignores a settings instance created after the application", async () => {
    const main = await read(root, "main.py");
    const settings = "\n\nclass Settings(BaseSettings):\n    debug: bool = False\n\n\nsettings = Settings()\n";
    await writeProjectFile("main.py", `from pydantic_settings import BaseSettings\n${main}${settings}`);
    await commitAll(root, "Settings at the end");
    const result = await add(root, ["cors", "--yes"]);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain("no instance of Settings is visible there");
    expect(await gitStatus(root)).toBe("");
  });

  it("rejects an existing settings field", async () => {
    await writeProjectFile(
      "settings.py",
      "from pydantic_settings import BaseSettings\n\n\nclass Settings(BaseSettings):\n    cors_origins: list[str] = []\n\n\nsettings = Settings()\n",
    );
    await commitAll(root, "Add settings");
    const result = await add(root, ["cors", "--yes"]);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain("already declares cors_origins");
    expect(await gitStatus(root)).toBe("");
  });

  it("rejects two applications", async () => {
    await writeProjectFile("admin.py", "from fastapi import FastAPI\n\nadmin = FastAPI()\n");
    await commitAll(root, "Add a second app");
    const result = await add(root, ["cors", "--yes"]);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain("Found 2 FastAPI applications, in admin.py (admin), main.py (app)");
  });

  it("rejects a project without an application", async () => {
    await rm(path.join(root, "main.py"));
    await commitAll(root, "Remove the app");
    const result = await add(root, ["cors", "--yes"]);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain("No FastAPI application found");
  });

  it("leaves an existing CORS setup alone", async () => {
    const main = (await read(root, "main.py")).replace(
      'app = FastAPI(title="Todo")\n',
      'app = FastAPI(title="Todo")\napp.add_middleware(CORSMiddleware, allow_origins=["https://a.example.com"])\n',
    );
    await writeProjectFile("main.py", `from fastapi.middleware.cors import CORSMiddleware\n${main}`);
    await commitAll(root, "Own CORS");
    const result = await add(root, ["cors", "--yes"]);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain("cors looks set up already: main.py:");
    expect(await gitStatus(root)).toBe("");
  });

  it("rejects overwriting a foreign file", async () => {
    await writeProjectFile("core/cors.py", "ORIGINS = []\n");
    await commitAll(root, "Own module");
    const result = await add(root, ["cors", "--yes"]);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(
      "Cannot write core/cors.py: the file exists and was not written by secure-fastapi.",
    );
  });

  it("adds dependencies to pyproject.toml", async () => {
    const fixture = await copyFixture("package-routers", path.join(workspace, "other"));
    await commitAll(fixture);
    const result = await add(fixture, ["rate-limit", "--yes"]);
    expect(result.exitCode).toBe(0);
    expect(await read(fixture, "pyproject.toml")).toContain('    "uvicorn[standard]>=0.30",\n    "limits>=4.0",\n]');
  });

  it("needs auth before a resource", async () => {
    const fixture = await copyFixture("package-routers", path.join(workspace, "other"));
    await commitAll(fixture);
    const result = await add(fixture, ["resource", "note", "--yes"]);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain("Run secure-fastapi add auth first");
    expect(await gitStatus(fixture)).toBe("");
  });

  it.each([
    ["an unknown feature", ["colour"], 'Unknown feature "colour"'],
    ["no feature", [], "Missing the feature to add"],
    ["an unknown flag", ["cors", "--force"], 'Unknown option "--force".'],
    ["an argument for a feature without one", ["cors", "extra"], 'add cors takes no argument, got "extra"'],
  ])("rejects %s with exit code 2", async (_label, argv, message) => {
    const result = await add(root, argv);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain(message);
    expect(await gitStatus(root)).toBe("");
  });
});

describe("secure-fastapi add --help", () => {
  const usage = (feature: Feature): string => (feature.argument ? `${feature.name} ${feature.argument}` : feature.name);

  it.each(FEATURES.map((feature) => [usage(feature), feature]))("lists %s", async (_usage, feature) => {
    const result = await add(root, ["--help"]);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`^  ${usage(feature)} +${escapeRegExp(feature.summary)}$`, "m"));
  });

  it("matches the features named in README.md", async () => {
    const readme = await readFile("README.md", "utf8");
    const line = /^npx create-secure-fastapi add ([\w-]+) +# also: (.+)$/m.exec(readme);
    expect(line, "README.md has no `add ... # also: ...` line").not.toBeNull();
    const named = [line?.[1] ?? "", ...(line?.[2] ?? "").split(", ")].sort();
    expect(named).toEqual(FEATURES.map(usage).sort());
  });
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
