import { execa } from "execa";
import { appendFile, copyFile, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runSnippetsCommand } from "../../src/snippets/command.js";
import { parseState, STATE_FILE } from "../../src/snippets/state.js";
import { ensurePythonEnv } from "../helpers/python-env.js";
import { copyCatalog, publishSnippetChange, runInProcess } from "../snippets/helpers.js";
import {
  add,
  commitAll,
  commitChanges,
  copyFixture,
  FIXTURES,
  gitStatus,
  read,
  runPytest,
  scanProblems,
} from "./helpers.js";

/**
 * `add` on hand-written projects of two layouts: one module (main.py, no
 * settings class) and an `app/` package with routers, a factory and a
 * settings class with lower-case fields. Each feature is added in turn, then
 * added again, and the project's own tests, the scanner and behaviour checks
 * of the added building blocks run on the result.
 */
const LAYOUTS = [
  {
    fixture: "single-file",
    securityPackage: "core",
    settingsFile: "core/config.py",
    appFile: "main.py",
    field: "CORS_ORIGINS",
    hasDatabase: false,
  },
  {
    fixture: "package-routers",
    securityPackage: "app.core",
    settingsFile: "app/config.py",
    appFile: "app/main.py",
    field: "cors_origins",
    hasDatabase: true,
  },
];

const FEATURES = ["rate-limit", "cors", "errors", "auth", "llm", "model safetensors"];
const PYTEST_TIMEOUT_MS = 120_000;

let bin: string;
let workspace: string;

beforeAll(async () => {
  bin = await ensurePythonEnv();
  workspace = await mkdtemp(path.join(tmpdir(), "csf-add-existing-"));
});

afterAll(async () => {
  await rm(workspace, { recursive: true, force: true });
});

describe.each(LAYOUTS)(
  "add on the hand-written project $fixture",
  ({ fixture, securityPackage, settingsFile, appFile, field, hasDatabase }) => {
    let root: string;
    const folder = securityPackage.replaceAll(".", "/");

    beforeAll(async () => {
      root = await copyFixture(fixture, workspace);
      await commitAll(root);
    });

    it(
      "starts with passing tests and no findings",
      async () => {
        expect(await scanProblems(root)).toEqual([]);
        const pytest = await runPytest(bin, root);
        expect(pytest.ok, pytest.output).toBe(true);
      },
      PYTEST_TIMEOUT_MS,
    );

    it.each(FEATURES)("adds %s and reports a clean scan", async (feature) => {
      const result = await add(root, [...feature.split(" "), "--yes"]);
      expect(result.stderr).toBe("");
      expect(result.exitCode).toBe(0);
      expect(result.stdout).toContain(`Added ${feature.split(" ")[0]}:`);
      expect(result.stdout).toContain("Security scan: no findings.");
      await commitChanges(root, `Add ${feature}`);
    });

    it.each(FEATURES)("changes nothing when %s is added again", async (feature) => {
      const result = await add(root, [...feature.split(" "), "--yes"]);
      expect(result.exitCode).toBe(0);
      expect(result.stdout).toContain(`${feature.split(" ")[0]} is already set up`);
      expect(await gitStatus(root)).toBe("");
    });

    it.runIf(hasDatabase)("adds an owned resource", async () => {
      const result = await add(root, ["resource", "note", "--yes"]);
      expect(result.stderr).toBe("");
      expect(result.exitCode).toBe(0);
      expect(result.stdout).toContain("Added resource: app/main.py, app/routers/notes.py, tests/test_notes.py.");
      expect(await read(root, "app/routers/notes.py")).toContain("Note.owner == subject");
      expect(await read(root, appFile)).toContain("app.include_router(notes.router)");
      await commitChanges(root, "Add notes");
      const again = await add(root, ["resource", "note", "--yes"]);
      expect(again.stdout).toContain("The note resource is already there");
      expect(await gitStatus(root)).toBe("");
    });

    it.runIf(!hasDatabase)("explains why a resource needs a database", async () => {
      const result = await add(root, ["resource", "note", "--yes"]);
      expect(result.exitCode).toBe(1);
      expect(result.stderr).toContain(
        "No SQLAlchemy declarative base found, and add resource stores the resource in a SQLAlchemy table.",
      );
      expect(result.stderr).toContain("Set up SQLAlchemy first: a base class for the models");
      expect(result.stderr).toContain("then run secure-fastapi add resource again. Nothing was written.");
      expect(await gitStatus(root)).toBe("");
    });

    it("places the building blocks in the security package", async () => {
      const modules = ["rate_limit.py", "cors.py", "errors.py", "error_log.py", "middleware.py", "security.py"];
      const aiModules = ["llm_budget.py", "llm_guards.py", "redaction.py", "token_bucket.py"];
      for (const file of [...modules, ...aiModules, "inference.py", "pretrained.py", "model_serving.py"]) {
        expect((await read(root, `${folder}/${file}`)).startsWith("# secure-fastapi snippet: ")).toBe(true);
      }
      const app = await read(root, appFile);
      const calls = ["install_rate_limit(", "install_cors(", "install_errors(", "install_auth("];
      for (const call of [...calls, "install_llm_guards(", "install_model_limits("]) {
        expect(app).toContain(call);
      }
      expect(await read(root, settingsFile)).toContain(`${field}: CorsOrigins = []`);
    });

    it("records the placed snippets in the state file", async () => {
      const state = parseState(await read(root, STATE_FILE), STATE_FILE);
      expect(state.project.options).toBeNull();
      expect(state.files.map((entry) => `${entry.path} ${entry.snippet}`).sort()).toEqual(
        [
          `${folder}/cors.py cors`,
          `${folder}/error_log.py error-log`,
          `${folder}/errors.py handlers`,
          `${folder}/inference.py inference`,
          `${folder}/llm_budget.py llm-budget`,
          `${folder}/llm_guards.py llm-guards`,
          `${folder}/middleware.py middleware`,
          `${folder}/model_serving.py model-serving`,
          `${folder}/pretrained.py pretrained`,
          `${folder}/rate_limit.py limiter`,
          `${folder}/redaction.py redaction`,
          `${folder}/security.py tokens`,
          `${folder}/token_bucket.py token-bucket`,
          ...(fixture === "single-file" ? [`${folder}/config.py app-settings`] : []),
        ].sort(),
      );
    });

    it("keeps the secret key out of git", async () => {
      expect(await read(root, ".env")).toMatch(/^SECRET_KEY='[A-Za-z0-9_-]{64}'$/m);
      expect((await read(root, ".gitignore")).split("\n")).toContain(".env");
      expect(await gitStatus(root)).toBe("");
    });

    it("leaves the scanner silent", async () => {
      expect(await scanProblems(root)).toEqual([]);
    });

    it("passes pyflakes and isort checks", async () => {
      const result = await execa(
        path.join(bin, "ruff"),
        ["check", "--isolated", "--no-cache", "--select", "F,I", "."],
        {
          cwd: root,
          reject: false,
        },
      );
      expect(result.exitCode, result.stdout).toBe(0);
    });

    it(
      "passes its own tests and the checks of the building blocks",
      async () => {
        const checks = ["test_security_kits.py", "test_ai_kits.py"];
        for (const check of checks) {
          await copyFile(path.join(FIXTURES, "_checks", check), path.join(root, "tests", check));
        }
        try {
          const pytest = await runPytest(bin, root, { SECURITY_PACKAGE: securityPackage });
          expect(pytest.ok, pytest.output).toBe(true);
          expect(pytest.output).toMatch(/\b[3-9][0-9] passed/);
        } finally {
          for (const check of checks) await rm(path.join(root, "tests", check));
        }
      },
      PYTEST_TIMEOUT_MS,
    );

    it("updates a placed snippet to a newer version", async () => {
      const catalog = await copyCatalog(path.join(workspace, `catalog-${fixture}`));
      await publishSnippetChange(catalog, "limiter", 'DEFAULT_SCOPE = "default"', 'DEFAULT_SCOPE = "application"');
      const result = await runInProcess((io) =>
        runSnippetsCommand(["update"], io, { cwd: root, snippetsRoot: catalog }),
      );
      expect(result.exitCode).toBe(0);
      expect(result.stdout).toMatch(/replaced\s+\S+rate_limit\.py\s+limiter v1 → v2/);
      expect(await read(root, `${folder}/rate_limit.py`)).toContain('DEFAULT_SCOPE = "application"');
    });
  },
);

describe("add resource on a hand-written project with a users table", () => {
  it(
    "owns rows by a users foreign key",
    async () => {
      const root = await copyFixture("package-routers", path.join(workspace, "with-users"));
      const users =
        '\n\nclass User(Base):\n    __tablename__ = "users"\n\n    id: Mapped[str] = mapped_column(String(36), primary_key=True)\n    email: Mapped[str] = mapped_column(String(254), unique=True)\n';
      await appendFile(path.join(root, "app/models.py"), users);
      await commitAll(root);
      expect((await add(root, ["auth", "--yes"])).exitCode).toBe(0);
      await commitChanges(root, "Add auth");

      const result = await add(root, ["resource", "note", "--yes"]);
      expect(result.stderr).toBe("");
      expect(result.exitCode).toBe(0);
      expect(result.stdout).toContain("Added resource: app/main.py, app/routers/notes.py, tests/test_notes.py.");
      expect(result.stdout).toContain("The owner of a note is the User whose id is the token's subject");
      const module = await read(root, "app/routers/notes.py");
      expect(module).toContain(
        'owner_id: Mapped[str] = mapped_column(\n        ForeignKey("users.id", ondelete="CASCADE"), index=True\n    )',
      );
      expect(module).toContain("def get_owner_id(subject: CurrentSubject, session: SessionDep) -> str:");
      expect(await read(root, "tests/test_notes.py")).toContain(
        "get_session = SessionDep.__metadata__[0].dependency\n",
      );
      expect(await scanProblems(root)).toEqual([]);
      const pytest = await runPytest(bin, root);
      expect(pytest.ok, pytest.output).toBe(true);
      expect(pytest.output).toContain("14 passed");
    },
    PYTEST_TIMEOUT_MS,
  );
});
