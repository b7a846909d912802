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

  it.each([
    ["a plural name", "notes", "it looks like a plural", "Use the singular name: note"],
    ["the plural of a reserved name", "users", "it looks like a plural", "Use another singular name"],
    ["the plural of a project module", "apis", "it is the plural of api", "Use another singular name"],
  ])("rejects %s as a resource name", async (_label, name, message, hint) => {
    const result = await add(root, ["resource", name, "--yes"]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain(`Invalid resource name "${name}": ${message}`);
    expect(result.stderr).toContain(hint);
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

/** A router that a user adds by hand, unknown to the generator. */
const ITEMS_ROUTES = `"""Items, added by hand."""

from fastapi import APIRouter

router = APIRouter(prefix="/items", tags=["items"])


@router.get("/")
async def list_items() -> list[str]:
    """List the items."""
    return []
`;

async function writeText(root: string, file: string, text: string): Promise<void> {
  await execa("bash", ["-c", `cat > ${JSON.stringify(path.join(root, file))}`], { input: text });
}

async function expectCleanProject(root: string): Promise<void> {
  const check = await ruff(root, ["check"]);
  expect(check.exitCode, check.output).toBe(0);
  const format = await ruff(root, ["format", "--check"]);
  expect(format.exitCode, format.output).toBe(0);
  expect(await scanProblems(root)).toEqual([]);
}

describe("add auth after a router added by hand", () => {
  let root: string;

  beforeAll(async () => {
    root = await generateProject(workspace, "items-service", { auth: "none" });
    await writeText(root, "app/api/routes/items.py", ITEMS_ROUTES);
    const router = (await read(root, "app/api/router.py"))
      .replace("from app.api.routes import health\n", "from app.api.routes import health, items\n")
      .replace(
        "api_router.include_router(health.router)\n",
        "api_router.include_router(health.router)\napi_router.include_router(items.router)\n",
      );
    await writeText(root, "app/api/router.py", router);
    await commitAll(root);
  });

  it("merges the new routers into the edited router", async () => {
    const result = await add(root, ["auth", "--yes"]);
    expect(result.stderr).toBe("");
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain("- app/api/router.py: added the new imports and statements after your own");
    expect(result.stdout).toContain("Security scan: no findings.");
    expect(await read(root, "app/api/router.py")).toBe(
      [
        "from fastapi import APIRouter",
        "",
        "from app.api.routes import auth, documents, files, health, items, users",
        "",
        "api_router = APIRouter()",
        "api_router.include_router(health.router)",
        "api_router.include_router(items.router)",
        "api_router.include_router(auth.router)",
        "api_router.include_router(users.router)",
        "api_router.include_router(documents.router)",
        "api_router.include_router(files.router)",
        "",
      ].join("\n"),
    );
    await commitChanges(root, "Add auth");
  });

  it("changes nothing the second time", async () => {
    const result = await add(root, ["auth", "--yes"]);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain("already part of this project");
    expect(await gitStatus(root)).toBe("");
  });

  it("passes ruff and a silent scan", async () => {
    await expectCleanProject(root);
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

describe("add llm and model after add resource", () => {
  let root: string;

  beforeAll(async () => {
    root = await generateProject(workspace, "notes-ai", { auth: "jwt" });
    await commitAll(root);
    const resource = await add(root, ["resource", "note", "--yes"]);
    expect(resource.exitCode, resource.stderr).toBe(0);
    await commitChanges(root, "Add notes");
  });

  // After add llm, the notes include sits before the llm include, away from the lines that the
  // model adds, so the line merge of app/api/router.py succeeds for the model.
  it.each([
    { step: ["llm"], structural: true },
    { step: ["model", "safetensors"], structural: false },
  ])("adds $step beside the notes router", async ({ step, structural }) => {
    const result = await add(root, [...step, "--yes"]);
    expect(result.stderr).toBe("");
    expect(result.exitCode).toBe(0);
    const note = "- app/api/router.py: added the new imports and statements after your own";
    expect(result.stdout.includes(note)).toBe(structural);
    expect(result.stdout).toContain("Security scan: no findings.");
    await commitChanges(root, `Add ${step.join(" ")}`);
  });

  it("keeps the notes router and adds the others after it", async () => {
    expect(await read(root, "app/api/router.py")).toBe(
      [
        "from fastapi import APIRouter",
        "",
        "from app.api.routes import auth, documents, files, health, notes, users",
        "from app.llm.routes import router as llm_router",
        "from app.ml.routes import router as model_router",
        "",
        "api_router = APIRouter()",
        "api_router.include_router(health.router)",
        "api_router.include_router(auth.router)",
        "api_router.include_router(users.router)",
        "api_router.include_router(documents.router)",
        "api_router.include_router(files.router)",
        "api_router.include_router(notes.router)",
        "api_router.include_router(llm_router)",
        "api_router.include_router(model_router)",
        "",
      ].join("\n"),
    );
  });

  it("changes nothing the second time", async () => {
    for (const step of [["llm"], ["model", "safetensors"]]) {
      const result = await add(root, [...step, "--yes"]);
      expect(result.exitCode).toBe(0);
      expect(result.stdout).toContain("already part of this project");
    }
    expect(await gitStatus(root)).toBe("");
  });

  it("passes ruff and a silent scan", async () => {
    await expectCleanProject(root);
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

describe("add auth on edits that overlap the change", () => {
  let root: string;

  beforeAll(async () => {
    root = await generateProject(workspace, "overlap", { auth: "none" });
    const main = (await read(root, "app/main.py")).replace('REDOC_URL = "/redoc"', 'REDOC_URL = "/api-redoc"');
    await writeText(root, "app/main.py", main);
    await commitAll(root);
  });

  it("prints only the conflicting file's change", async () => {
    const result = await add(root, ["auth", "--yes"]);
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain("Your edits to app/main.py overlap the change that `secure-fastapi add auth`");
    expect(result.stderr).toContain("    +MULTIPART_OVERHEAD_BYTES = 16 * 1024\n");
    expect(result.stderr).toContain("`secure-fastapi add auth --dry-run` prints it");
    expect(result.stderr).not.toContain("app/api/routes/users.py");
    expect(result.stderr.split("\n").length).toBeLessThan(60);
    expect(await gitStatus(root)).toBe("");
  });

  it("prints the whole diff with --dry-run", async () => {
    const result = await add(root, ["auth", "--dry-run"]);
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toContain("+++ b/app/api/routes/users.py");
    expect(result.stderr).toContain("Your edits to app/main.py overlap the change");
    expect(result.stderr).toContain("the diff above shows it");
    expect(await gitStatus(root)).toBe("");
  });
});

describe("add model on a project that serves a model", () => {
  let root: string;

  beforeAll(async () => {
    root = await generateProject(workspace, "classifier", { model: "safetensors" });
    await commitAll(root);
  });

  it("reports the same kind as there", async () => {
    const result = await add(root, ["model", "safetensors", "--yes"]);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain("Model serving (safetensors) is already part of this project");
  });

  it("rejects another kind with exit code 1", async () => {
    const result = await add(root, ["model", "transformers", "--yes"]);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(
      "This project already serves a safetensors model (app/ml/), and add model cannot change the kind to transformers.",
    );
    expect(result.stderr).toContain("Switch by hand: generate a project with --model transformers");
    expect(await gitStatus(root)).toBe("");
  });
});

describe("add auth on a project with its own migrations", () => {
  it("rejects the second history with the steps to take", async () => {
    const root = await generateProject(workspace, "own-migrations", { auth: "none" });
    const revision = [
      '"""Create widgets."""',
      "",
      'revision = "e3003c6811af"',
      "down_revision = None",
      "",
      "",
      "def upgrade() -> None:",
      "    pass",
      "",
      "",
      "def downgrade() -> None:",
      "    pass",
      "",
    ].join("\n");
    await writeText(root, "alembic/versions/e3003c6811af_create_widgets.py", revision);
    await commitAll(root);
    const result = await add(root, ["auth", "--yes"]);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(
      "alembic/versions already has migrations of its own (alembic/versions/e3003c6811af_create_widgets.py)",
    );
    expect(result.stderr).toContain("Move your revisions out of alembic/versions, run this command again");
    expect(result.stderr).toContain("set down_revision in alembic/versions/0001_initial.py to your latest revision");
    expect(await gitStatus(root)).toBe("");
  });
});
