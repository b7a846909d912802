import { execa } from "execa";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";
import { ensurePythonEnv } from "../helpers/python-env.js";
import { createDatabase, dropDatabase } from "../helpers/services.js";
import { add, commitAll, commitChanges, copyFixture, gitStatus, listTree, read, runPytest } from "./helpers.js";

/**
 * `add resource` on a hand-written project that manages its schema with
 * Alembic (the alembic-users fixture: an app/ package with routers, SQLAlchemy
 * 2 models with a naming convention, a users table and one revision). The
 * new revision is checked by Alembic itself on SQLite and PostgreSQL:
 * `alembic check` must find no difference between the models and the
 * migrations. The tests of the built command line need `npm run build`.
 */
const FIXTURE = "alembic-users";
const FIRST_REVISION = "7c1e4a9b2d10";
const PYTEST_TIMEOUT_MS = 180_000;
const ALEMBIC_TIMEOUT_MS = 120_000;

let bin: string;
let workspace: string;

beforeAll(async () => {
  bin = await ensurePythonEnv();
  workspace = await mkdtemp(path.join(tmpdir(), "csf-add-alembic-"));
});

afterAll(async () => {
  await rm(workspace, { recursive: true, force: true });
});

/** Run an Alembic command in the project against `databaseUrl`; throws with Alembic's output on failure. */
async function alembic(root: string, databaseUrl: string, args: string[]): Promise<string> {
  const result = await execa(path.join(bin, "alembic"), args, {
    cwd: root,
    env: { DATABASE_URL: databaseUrl },
    reject: false,
  });
  const output = `${result.stdout}\n${result.stderr}`;
  if (result.exitCode !== 0) throw new Error(`alembic ${args.join(" ")} failed:\n${output}`);
  return output;
}

/** Copy the fixture, commit it, and add auth, which resources need. */
async function preparedProject(name: string): Promise<string> {
  const root = await copyFixture(FIXTURE, path.join(workspace, name));
  await commitAll(root);
  const auth = await add(root, ["auth", "--yes"]);
  expect(auth.exitCode, auth.stderr).toBe(0);
  await commitChanges(root, "Add auth");
  return root;
}

async function revisionFiles(root: string): Promise<string[]> {
  const files = await readdir(path.join(root, "alembic/versions"));
  return files.filter((file) => file.endsWith(".py")).sort();
}

describe("add resource on a hand-written project with Alembic", () => {
  let root: string;
  let sqliteUrl: string;
  let migration: string;

  beforeAll(async () => {
    root = await preparedProject("journal");
    sqliteUrl = `sqlite:///${path.join(workspace, "journal.db")}`;
  });

  it(
    "starts with migrations matching its models",
    async () => {
      const url = `sqlite:///${path.join(workspace, "baseline.db")}`;
      await alembic(root, url, ["upgrade", "head"]);
      expect(await alembic(root, url, ["check"])).toContain("No new upgrade operations detected.");
    },
    ALEMBIC_TIMEOUT_MS,
  );

  it("adds the resource and a revision", async () => {
    const result = await add(root, ["resource", "note", "--yes"]);
    expect(result.stderr).toBe("");
    expect(result.exitCode).toBe(0);
    const added = await revisionFiles(root);
    const created = added.find((file) => file.endsWith("_create_notes.py"));
    expect(created).toMatch(/^[0-9a-f]{12}_create_notes\.py$/);
    migration = `alembic/versions/${created}`;
    expect(result.stdout).toContain(
      `Added resource: alembic/env.py, ${migration}, app/main.py, app/routers/notes.py, tests/test_notes.py.`,
    );
    expect(result.stdout).toContain(`Run \`alembic upgrade head\` to create the notes table (${migration}).`);
    expect(result.stdout).toContain("Security scan: no findings.");
    await commitChanges(root, "Add notes");
  });

  it("chains a revision with table, key, index", async () => {
    const text = await read(root, migration);
    const revision = path.basename(migration).slice(0, 12);
    expect(text).toContain(`revision: str = "${revision}"\ndown_revision: str | None = "${FIRST_REVISION}"\n`);
    expect(text).toContain('        sa.Column("id", sa.Uuid(), primary_key=True),\n');
    expect(text).toContain(
      '        sa.Column(\n            "owner_id",\n            sa.Integer(),\n            sa.ForeignKey("users.id", ondelete="CASCADE"),\n            nullable=False,\n        ),\n',
    );
    expect(text).toContain('        sa.Column("title", sa.String(200), nullable=False),\n');
    // The fixture's naming convention names indexes %(table_name)s_%(column_0_name)s_idx.
    expect(text).toContain(
      '    op.create_index(\n        "notes_owner_id_idx",\n        "notes",\n        ["owner_id"],\n    )\n',
    );
    expect(text).toContain('    op.drop_table("notes")\n');
  });

  it("owns rows by users, registers the model", async () => {
    const module = await read(root, "app/routers/notes.py");
    expect(module).toContain("from app.models import Base, User\n");
    expect(module).toContain(
      'owner_id: Mapped[int] = mapped_column(\n        ForeignKey("users.id", ondelete="CASCADE"), index=True\n    )',
    );
    expect(module).toContain("Note.owner_id == owner_id");
    expect(await read(root, "app/main.py")).toContain("app.include_router(notes.router)");
    expect(await read(root, "alembic/env.py")).toContain(
      "from app.models import Base\nfrom app.routers import notes  # noqa: F401\n",
    );
  });

  it("changes nothing the second time", async () => {
    const before = await listTree(root);
    const again = await add(root, ["resource", "note", "--yes"]);
    expect(again.exitCode).toBe(0);
    expect(again.stdout).toContain("The note resource is already there: app/routers/notes.py.");
    expect(await gitStatus(root)).toBe("");
    expect(await listTree(root)).toEqual(before);
  });

  it(
    "passes alembic check on SQLite",
    async () => {
      expect(await alembic(root, sqliteUrl, ["upgrade", "head"])).toContain(`${FIRST_REVISION} -> `);
      expect(await alembic(root, sqliteUrl, ["check"])).toContain("No new upgrade operations detected.");
      await alembic(root, sqliteUrl, ["downgrade", FIRST_REVISION]);
    },
    ALEMBIC_TIMEOUT_MS,
  );

  it(
    "passes alembic check on PostgreSQL",
    async () => {
      const database = "csf_add_alembic_journal";
      const url = await createDatabase(database);
      try {
        await alembic(root, url, ["upgrade", "head"]);
        expect(await alembic(root, url, ["check"])).toContain("No new upgrade operations detected.");
        await alembic(root, url, ["downgrade", "base"]);
      } finally {
        await dropDatabase(database);
      }
    },
    ALEMBIC_TIMEOUT_MS,
  );

  it(
    "passes its own tests, the new ones included",
    async () => {
      const pytest = await runPytest(bin, root);
      expect(pytest.ok, pytest.output).toBe(true);
      expect(pytest.output).toContain("14 passed");
    },
    PYTEST_TIMEOUT_MS,
  );

  it(
    "passes its tests on PostgreSQL",
    async () => {
      const database = "csf_add_alembic_pytest";
      const url = await createDatabase(database);
      try {
        const pytest = await runPytest(bin, root, { TEST_DATABASE_URL: url });
        expect(pytest.ok, pytest.output).toBe(true);
        expect(pytest.output).toContain("14 passed");
      } finally {
        await dropDatabase(database);
      }
    },
    PYTEST_TIMEOUT_MS,
  );

  it("leaves the built scanner silent", async () => {
    const result = await runCli(["scan", root]);
    expect(result.stderr).toBe("");
    expect(result.stdout).toMatch(/^No findings in \d+ files\.$/);
    expect(result.exitCode).toBe(0);
  });

  it("passes ruff check and format", async () => {
    const ruff = path.join(bin, "ruff");
    const check = await execa(ruff, ["check", "--no-cache", "--select", "F,I", "."], { cwd: root, reject: false });
    expect(check.exitCode, check.stdout).toBe(0);
    const files = ["alembic/env.py", migration, "app/routers/notes.py", "tests/test_notes.py"];
    const format = await execa(ruff, ["format", "--check", "--no-cache", ...files], { cwd: root, reject: false });
    expect(format.exitCode, format.stdout).toBe(0);
  });
});

describe("add resource on an Alembic history it cannot follow", () => {
  it(
    "rejects two heads until merged",
    async () => {
      const root = await preparedProject("branched");
      for (const branch of ["b1", "b2"]) {
        const text = `"""Branch ${branch}."""\n\nrevision = "${branch}"\ndown_revision = "${FIRST_REVISION}"\n\n\ndef upgrade() -> None:\n    pass\n\n\ndef downgrade() -> None:\n    pass\n`;
        await writeFile(path.join(root, `alembic/versions/${branch}_branch.py`), text);
      }
      await commitChanges(root, "Branch the history");
      const url = `sqlite:///${path.join(workspace, "branched.db")}`;
      const heads = await alembic(root, url, ["heads"]);
      expect(heads).toContain("b1 (head)");
      expect(heads).toContain("b2 (head)");

      const before = await listTree(root);
      const result = await runCli(["add", "resource", "note", "--yes"], { cwd: root });
      expect(result.exitCode).toBe(1);
      expect(result.stderr).toContain(
        "The Alembic history in alembic/versions has 2 heads: b1 (alembic/versions/b1_branch.py), b2 (alembic/versions/b2_branch.py).",
      );
      expect(result.stderr).toContain('alembic merge heads -m "merge heads"');
      expect(await gitStatus(root)).toBe("");
      expect(await listTree(root)).toEqual(before);

      await alembic(root, url, ["merge", "heads", "-m", "merge heads"]);
      await commitChanges(root, "Merge heads");
      const merged = await add(root, ["resource", "note", "--yes"]);
      expect(merged.exitCode, merged.stderr).toBe(0);
      await alembic(root, url, ["upgrade", "head"]);
      expect(await alembic(root, url, ["check"])).toContain("No new upgrade operations detected.");
    },
    ALEMBIC_TIMEOUT_MS,
  );

  it(
    "rejects a missing versions folder",
    async () => {
      const root = await preparedProject("unversioned");
      await rm(path.join(root, "alembic/versions"), { recursive: true });
      await commitChanges(root, "Drop the history");

      const before = await listTree(root);
      const result = await runCli(["add", "resource", "note", "--yes"], { cwd: root });
      expect(result.exitCode).toBe(1);
      expect(result.stderr).toContain(
        "The Alembic versions folder alembic/versions does not exist, so the new migration has no revision to follow.",
      );
      expect(result.stderr).toContain("alembic revision --autogenerate");
      expect(await gitStatus(root)).toBe("");
      expect(await listTree(root)).toEqual(before);

      const url = `sqlite:///${path.join(workspace, "unversioned.db")}`;
      await alembic(root, url, ["revision", "--autogenerate", "-m", "initial tables"]);
      await commitChanges(root, "First revision");
      const added = await add(root, ["resource", "note", "--yes"]);
      expect(added.exitCode, added.stderr).toBe(0);
      await alembic(root, url, ["upgrade", "head"]);
      expect(await alembic(root, url, ["check"])).toContain("No new upgrade operations detected.");
    },
    ALEMBIC_TIMEOUT_MS,
  );
});
