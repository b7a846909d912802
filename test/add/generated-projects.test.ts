import { execa } from "execa";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseState, STATE_FILE } from "../../src/snippets/state.js";
import { ensurePythonEnv } from "../helpers/python-env.js";
import {
  add,
  commitAll,
  commitChanges,
  generateProject,
  gitStatus,
  listTree,
  read,
  runPytest,
  scanProblems,
} from "./helpers.js";

/**
 * `add` on projects that create-secure-fastapi generated: the base features
 * are already there, `auth` turns an --auth none project into the --auth jwt
 * one, and `resource` adds an owned resource like documents.
 */
const PYTEST_TIMEOUT_MS = 300_000;

let bin: string;
let workspace: string;

beforeAll(async () => {
  bin = await ensurePythonEnv();
  workspace = await mkdtemp(path.join(tmpdir(), "csf-add-generated-"));
});

afterAll(async () => {
  await rm(workspace, { recursive: true, force: true });
});

async function ruff(root: string, args: string[]): Promise<{ exitCode: number; output: string }> {
  const result = await execa(path.join(bin, "ruff"), [...args, "--no-cache", "."], { cwd: root, reject: false });
  return { exitCode: result.exitCode ?? -1, output: result.stdout + result.stderr };
}

describe("add on a generated project", () => {
  let root: string;

  beforeAll(async () => {
    root = await generateProject(workspace, "with-accounts");
    await commitAll(root);
  });

  it.each(["rate-limit", "cors", "errors", "auth"])("reports that %s is already there", async (feature) => {
    const result = await add(root, [feature, "--yes"]);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(/already part of this project|part of every generated project/);
    expect(await gitStatus(root)).toBe("");
  });

  it("rejects an unknown model kind and writes nothing", async () => {
    const result = await add(root, ["model", "pickle", "--yes"]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('Invalid model kind "pickle".');
    expect(result.stderr).toContain("secure-fastapi add model safetensors");
    expect(await gitStatus(root)).toBe("");
  });
});

/**
 * `add llm` and `add model KIND` switch the options of a generated project,
 * so the result must equal a project generated with those options, pass its
 * own suite (which loads real tiny models) and change nothing when run again.
 */
const AI_CASES = [
  {
    label: "accounts, then llm and model safetensors",
    start: { auth: "jwt" as const },
    steps: [["llm"], ["model", "safetensors"]],
    expected: { auth: "jwt" as const, llm: true, model: "safetensors" as const },
  },
  {
    label: "no accounts, then model transformers",
    start: { auth: "none" as const },
    steps: [["model", "transformers"]],
    expected: { auth: "none" as const, model: "transformers" as const },
  },
];

describe.each(AI_CASES)("add AI features: $label", ({ start, steps, expected }) => {
  let root: string;
  let reference: string;

  beforeAll(async () => {
    root = await generateProject(path.join(workspace, "ai-start"), "svc", start);
    await commitAll(root);
    reference = await generateProject(path.join(workspace, "ai-reference"), "svc", expected);
  });

  afterAll(async () => {
    await rm(path.join(workspace, "ai-start"), { recursive: true, force: true });
    await rm(path.join(workspace, "ai-reference"), { recursive: true, force: true });
  });

  it("adds each feature with a clean scan", async () => {
    for (const step of steps) {
      const result = await add(root, [...step, "--yes"]);
      expect(result.stderr).toBe("");
      expect(result.exitCode).toBe(0);
      expect(result.stdout).toContain(`Added ${step[0]}:`);
      expect(result.stdout).toContain("Security scan: no findings.");
      await commitChanges(root, `Add ${step.join(" ")}`);
    }
  });

  it("produces the project that the options generate", async () => {
    const files = (await listTree(root)).filter((file) => file !== ".env");
    expect(files).toEqual((await listTree(reference)).filter((file) => file !== ".env"));
    for (const file of files) {
      expect(await read(root, file), file).toBe(await read(reference, file));
    }
  });

  it("changes nothing the second time", async () => {
    for (const step of steps) {
      const result = await add(root, [...step, "--yes"]);
      expect(result.exitCode).toBe(0);
      expect(result.stdout).toContain("already part of this project");
    }
    expect(await gitStatus(root)).toBe("");
  });

  it(
    "passes its own test suite",
    async () => {
      const pytest = await runPytest(bin, root);
      expect(pytest.ok, pytest.output).toBe(true);
    },
    PYTEST_TIMEOUT_MS,
  );
});

describe("add auth on a project generated without accounts", () => {
  let root: string;
  let reference: string;

  beforeAll(async () => {
    root = await generateProject(workspace, "svc", { auth: "none" });
    await commitAll(root);
    reference = await generateProject(path.join(workspace, "reference"), "svc", { auth: "jwt" });
  });

  it("adds accounts", async () => {
    const result = await add(root, ["auth", "--yes"]);
    expect(result.stderr).toBe("");
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain("+SECRET_KEY=<new random value, not shown>");
    expect(result.stdout).toContain(" CORS_ORIGINS=<not shown>");
    expect(result.stdout).toContain("Security scan: no findings.");
  });

  it("produces the project that --auth jwt generates", async () => {
    const files = (await listTree(root)).filter((file) => file !== ".env");
    expect(files).toEqual((await listTree(reference)).filter((file) => file !== ".env"));
    for (const file of files) {
      expect(await read(root, file), file).toBe(await read(reference, file));
    }
  });

  it("gives .env a fresh secret key", async () => {
    const env = await read(root, ".env");
    expect(env).toMatch(/^SECRET_KEY='[A-Za-z0-9_-]{64}'$/m);
    expect(env).not.toContain("x".repeat(64));
  });

  it("records the new options and snippets", async () => {
    const state = parseState(await read(root, STATE_FILE), STATE_FILE);
    expect(state.project.options?.auth).toBe("jwt");
    expect(state.files.map((entry) => entry.snippet).sort()).toContain("owner-deps");
  });

  it("changes nothing the second time", async () => {
    await commitChanges(root, "Add auth");
    const result = await add(root, ["auth", "--yes"]);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain("already part of this project");
    expect(await gitStatus(root)).toBe("");
  });

  it(
    "passes its own test suite",
    async () => {
      const pytest = await runPytest(bin, root);
      expect(pytest.ok, pytest.output).toBe(true);
    },
    PYTEST_TIMEOUT_MS,
  );
});

describe("add auth keeps edits to generated files", () => {
  it("merges the accounts into an edited file", async () => {
    const root = await generateProject(workspace, "edited", { auth: "none" });
    const main = path.join(root, "app/main.py");
    const edited = (await readFile(main, "utf8")).replace('DOCS_URL = "/docs"', 'DOCS_URL = "/api-docs"');
    await execa("bash", ["-c", `cat > ${JSON.stringify(main)}`], { input: edited });
    await commitAll(root);
    const result = await add(root, ["auth", "--yes"]);
    expect(result.exitCode).toBe(0);
    const text = await read(root, "app/main.py");
    expect(text).toContain('DOCS_URL = "/api-docs"');
    expect(text).toContain("MULTIPART_OVERHEAD_BYTES");
  });
});

describe("add resource", () => {
  let root: string;

  beforeAll(async () => {
    root = await generateProject(workspace, "notes-service");
    await commitAll(root);
  });

  it("adds a model, migration, routes and tests", async () => {
    const result = await add(root, ["resource", "note", "--yes"]);
    expect(result.stderr).toBe("");
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain("Security scan: no findings.");
    expect(await read(root, "app/api/router.py")).toContain(
      "from app.api.routes import auth, documents, files, health, notes, users",
    );
    expect(await read(root, "app/api/router.py")).toContain("api_router.include_router(notes.router)");
    expect(await read(root, "app/models.py")).toContain('class Note(Base):\n    __tablename__ = "notes"');
    const migration = await read(root, "alembic/versions/0002_create_notes.py");
    expect(migration).toContain('revision: str = "0002"');
    expect(migration).toContain('down_revision: str | None = "0001"');
    expect(await read(root, "app/api/routes/notes.py")).toContain("Note.owner_id == user.id");
    expect(await read(root, "pyproject.toml")).toContain('"app/api/routes/notes.py" = ["FAST003"]');
    await commitChanges(root, "Add notes");
  });

  it("changes nothing the second time", async () => {
    const result = await add(root, ["resource", "note", "--yes"]);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain("The note resource is already there");
    expect(await gitStatus(root)).toBe("");
  });

  it("chains a second resource after the first migration", async () => {
    const result = await add(root, ["resource", "box", "--yes"]);
    expect(result.exitCode).toBe(0);
    const migration = await read(root, "alembic/versions/0003_create_boxes.py");
    expect(migration).toContain('down_revision: str | None = "0002"');
    expect(await read(root, "app/api/routes/boxes.py")).toContain(
      "from app.schemas import (\n    BoxCreate,\n    BoxesPublic,",
    );
    await commitChanges(root, "Add boxes");
  });

  it("passes ruff check and ruff format", async () => {
    const check = await ruff(root, ["check"]);
    expect(check.exitCode, check.output).toBe(0);
    const format = await ruff(root, ["format", "--check"]);
    expect(format.exitCode, format.output).toBe(0);
  });

  it("leaves the scanner silent", async () => {
    expect(await scanProblems(root)).toEqual([]);
  });

  it(
    "passes alembic check after migrating",
    async () => {
      const env = { DATABASE_URL: `sqlite:///${path.join(workspace, "notes-service.db")}` };
      const alembic = path.join(bin, "alembic");
      await execa(alembic, ["upgrade", "head"], { cwd: root, env });
      const check = await execa(alembic, ["check"], { cwd: root, env, reject: false });
      expect(check.exitCode, check.stderr).toBe(0);
      expect(check.stdout).toContain("No new upgrade operations detected.");
    },
    PYTEST_TIMEOUT_MS,
  );

  it(
    "passes the project's tests, the new ones included",
    async () => {
      const pytest = await runPytest(bin, root);
      expect(pytest.ok, pytest.output).toBe(true);
      expect(pytest.output).toMatch(/\d+ passed/);
      const count = Number(/(\d+) passed/.exec(pytest.output)?.[1]);
      expect(count).toBeGreaterThan(220);
    },
    PYTEST_TIMEOUT_MS,
  );

  it("needs accounts", async () => {
    const bare = await generateProject(workspace, "bare", { auth: "none" });
    await commitAll(bare);
    const result = await add(bare, ["resource", "note", "--yes"]);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain("Run secure-fastapi add auth first");
    expect(await gitStatus(bare)).toBe("");
  });

  it.each([
    ["no name", []],
    ["an upper-case name", ["Note"]],
    ["a name with a dash", ["blog-post"]],
    ["a reserved name", ["user"]],
    ["a Python keyword", ["class"]],
    ["a name over 20 characters", ["a".repeat(21)]],
  ])("rejects %s with exit code 2", async (_label, name) => {
    const result = await add(root, ["resource", ...name, "--yes"]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/needs a NAME|Invalid resource name/);
  });
});
