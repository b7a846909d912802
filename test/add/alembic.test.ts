import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { findAlembic, parseIni, type AlembicSetup } from "../../src/add/alembic/config.js";
import { findHeads, nextRevision, readHistory } from "../../src/add/alembic/history.js";
import {
  formatFileTemplate,
  renderCreateTableRevision,
  revisionPath,
  slugify,
} from "../../src/add/alembic/migration.js";
import { importedFiles, registerModelModule } from "../../src/add/alembic/model-migration.js";
import { Project } from "../../src/add/project.js";
import { findDeclarativeBases } from "../../src/add/python/sqlalchemy.js";
import { findUserModel, indexName, readModelTable } from "../../src/add/python/tables.js";
import { CliError } from "../../src/errors.js";

/**
 * The parts of `add resource` that read a project's Alembic setup, its
 * revision history and its models, and write a revision, on small projects
 * written for each case. test/add/alembic-projects.test.ts runs the result
 * against Alembic itself.
 */
const roots: string[] = [];

afterEach(async () => {
  await Promise.all(roots.splice(0).map((root) => rm(root, { recursive: true, force: true })));
});

async function projectWith(files: Record<string, string>): Promise<Project> {
  const root = await mkdtemp(path.join(tmpdir(), "csf-alembic-"));
  roots.push(root);
  for (const [file, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(root, file)), { recursive: true });
    await writeFile(path.join(root, file), text);
  }
  return new Project(root, null);
}

/** Run `action` and return the CliError it throws, so that a test can check its message and hint. */
async function cliError(action: () => Promise<unknown>): Promise<CliError> {
  try {
    await action();
  } catch (error) {
    if (error instanceof CliError) return error;
    throw error;
  }
  throw new Error("expected a CliError");
}

const ENV = "from alembic import context\n\ntarget_metadata = None\n";

function revisionFile(revision: string, down: string): string {
  return `revision = "${revision}"\ndown_revision = ${down}\n\n\ndef upgrade() -> None:\n    pass\n`;
}

const SETUP: AlembicSetup = {
  source: "alembic.ini",
  scriptFolder: "alembic",
  envFile: "alembic/env.py",
  versionsFolder: "alembic/versions",
  recursive: false,
  fileTemplate: "%(rev)s_%(slug)s",
  truncateSlugLength: 40,
};

describe("parseIni", () => {
  it("reads options, continuation lines and comments as ConfigParser does", () => {
    const sections = parseIni(
      "# top\n[alembic]\nScript_Location = %(here)s/alembic\nversion_locations: a\n    b\n; note\n\n[other]\nx=1\n",
    );
    expect(sections.get("alembic")?.get("script_location")).toBe("%(here)s/alembic");
    expect(sections.get("alembic")?.get("version_locations")).toBe("a\nb");
    expect(sections.get("other")?.get("x")).toBe("1");
  });
});

describe("findAlembic", () => {
  it.each([
    ["a relative script_location", "script_location = alembic", "alembic"],
    ["%(here)s", "script_location = %(here)s/alembic", "alembic"],
    ["a package resource", "script_location = app:alembic", "app/alembic"],
  ])("resolves %s", async (_label, option, folder) => {
    const project = await projectWith({
      "alembic.ini": `[alembic]\n${option}\n`,
      "app/__init__.py": "",
      [`${folder}/env.py`]: ENV,
    });
    const setup = await findAlembic(project);
    expect(setup?.scriptFolder).toBe(folder);
    expect(setup?.versionsFolder).toBe(`${folder}/versions`);
    expect(setup?.envFile).toBe(`${folder}/env.py`);
    expect(setup?.fileTemplate).toBe("%(rev)s_%(slug)s");
  });

  it("reads file_template with %% escapes", async () => {
    const project = await projectWith({
      "alembic.ini": "[alembic]\nscript_location = db\nfile_template = %%(year)d_%%(rev)s_%%(slug)s\n",
      "db/env.py": ENV,
    });
    expect((await findAlembic(project))?.fileTemplate).toBe("%(year)d_%(rev)s_%(slug)s");
  });

  it("reads [tool.alembic] in pyproject.toml", async () => {
    const project = await projectWith({
      "pyproject.toml": '[project]\nname = "x"\n\n[tool.alembic]\nscript_location = "%(here)s/db"\n',
      "db/env.py": ENV,
    });
    const setup = await findAlembic(project);
    expect(setup?.source).toBe("pyproject.toml [tool.alembic]");
    expect(setup?.versionsFolder).toBe("db/versions");
  });

  it("uses one version location", async () => {
    const project = await projectWith({
      "alembic.ini":
        "[alembic]\nscript_location = alembic\nversion_locations = %(here)s/revisions\npath_separator = os\n",
      "alembic/env.py": ENV,
    });
    expect((await findAlembic(project))?.versionsFolder).toBe("revisions");
  });

  it("rejects several version locations", async () => {
    const project = await projectWith({
      "alembic.ini": "[alembic]\nscript_location = alembic\nversion_locations = one two\n",
      "alembic/env.py": ENV,
    });
    const error = await cliError(() => findAlembic(project));
    expect(error.message).toContain("version_locations in alembic.ini lists 2 folders (one, two)");
  });

  it.each(["alembic", "migrations"])("finds %s/ by its env.py without a configuration", async (folder) => {
    const project = await projectWith({ [`${folder}/env.py`]: ENV });
    const setup = await findAlembic(project);
    expect(setup?.scriptFolder).toBe(folder);
    expect(setup?.source).toBe(`the folder ${folder}/`);
  });

  it("ignores an env.py that does not import alembic", async () => {
    const project = await projectWith({ "migrations/env.py": "print('setup')\n" });
    expect(await findAlembic(project)).toBeNull();
  });

  it("returns null for a project without Alembic", async () => {
    expect(await findAlembic(await projectWith({ "main.py": "" }))).toBeNull();
  });

  it("rejects alembic.ini without script_location", async () => {
    const project = await projectWith({ "alembic.ini": "[alembic]\nprepend_sys_path = .\n" });
    const error = await cliError(() => findAlembic(project));
    expect(error.message).toBe("alembic.ini has no script_location in its [alembic] section.");
  });

  it("rejects a script folder without env.py", async () => {
    const project = await projectWith({ "alembic.ini": "[alembic]\nscript_location = alembic\n" });
    const error = await cliError(() => findAlembic(project));
    expect(error.message).toContain("names the Alembic script folder alembic/, which has no env.py");
  });

  it("rejects a script_location outside the project", async () => {
    const project = await projectWith({ "alembic.ini": "[alembic]\nscript_location = ../shared\n" });
    const error = await cliError(() => findAlembic(project));
    expect(error.message).toContain("points outside the project: ../shared");
  });
});

describe("revision history", () => {
  it("follows the head of a linear history", async () => {
    const project = await projectWith({
      "alembic/versions/aaa_first.py": revisionFile("aaa", "None"),
      "alembic/versions/bbb_second.py": revisionFile("bbb", '"aaa"'),
      "alembic/versions/__init__.py": "",
    });
    const next = await nextRevision(project, SETUP);
    expect(next.parent).toBe("bbb");
    expect(next.revision).toMatch(/^[0-9a-f]{12}$/);
  });

  it("numbers the next revision of a numbered history", async () => {
    const project = await projectWith({
      "alembic/versions/0001_initial.py": revisionFile("0001", "None"),
      "alembic/versions/0009_more.py": revisionFile("0009", '"0001"'),
    });
    expect(await nextRevision(project, SETUP)).toEqual({ revision: "0010", parent: "0009" });
  });

  it("treats a merge revision as the one head", async () => {
    const project = await projectWith({
      "alembic/versions/a.py": revisionFile("a", "None"),
      "alembic/versions/b.py": revisionFile("b", '"a"'),
      "alembic/versions/c.py": revisionFile("c", '"a"'),
      "alembic/versions/d.py": revisionFile("d", '("b", "c")'),
    });
    const history = await readHistory(project, SETUP);
    expect(history.find((item) => item.revision === "d")?.downRevisions).toEqual(["b", "c"]);
    expect(findHeads(history).map((item) => item.revision)).toEqual(["d"]);
    expect((await nextRevision(project, SETUP)).parent).toBe("d");
  });

  it("rejects two heads, naming them and alembic merge", async () => {
    const project = await projectWith({
      "alembic/versions/a.py": revisionFile("a", "None"),
      "alembic/versions/b.py": revisionFile("b", '"a"'),
      "alembic/versions/c.py": revisionFile("c", '"a"'),
    });
    const error = await cliError(() => nextRevision(project, SETUP));
    expect(error.message).toBe(
      "The Alembic history in alembic/versions has 2 heads: b (alembic/versions/b.py), c (alembic/versions/c.py). A new migration must follow exactly one.",
    );
    expect(error.hint).toContain("alembic merge heads");
  });

  it.each([
    ["a missing versions folder", {}, "does not exist"],
    ["an empty versions folder", { "alembic/versions/README": "" }, "has no revision files"],
  ])("rejects %s", async (_label, files, state) => {
    const project = await projectWith({ "alembic/env.py": ENV, ...files });
    const error = await cliError(() => nextRevision(project, SETUP));
    expect(error.message).toBe(
      `The Alembic versions folder alembic/versions ${state}, so the new migration has no revision to follow.`,
    );
    expect(error.hint).toContain("alembic revision --autogenerate");
  });

  it("rejects a revision that follows a missing one", async () => {
    const project = await projectWith({ "alembic/versions/b.py": revisionFile("b", '"gone"') });
    const error = await cliError(() => readHistory(project, SETUP));
    expect(error.message).toBe(
      "alembic/versions/b.py follows revision gone, which no file in alembic/versions defines.",
    );
  });

  it("rejects a revision id defined twice", async () => {
    const project = await projectWith({
      "alembic/versions/a.py": revisionFile("a", "None"),
      "alembic/versions/copy.py": revisionFile("a", "None"),
    });
    const error = await cliError(() => readHistory(project, SETUP));
    expect(error.message).toBe("Revision a is defined twice, in alembic/versions/a.py and alembic/versions/copy.py.");
  });

  it("reads subfolders only with recursive_version_locations", async () => {
    const project = await projectWith({
      "alembic/versions/a.py": revisionFile("a", "None"),
      "alembic/versions/2025/b.py": revisionFile("b", '"a"'),
    });
    expect((await nextRevision(project, SETUP)).parent).toBe("a");
    expect((await nextRevision(project, { ...SETUP, recursive: true })).parent).toBe("b");
  });
});

describe("revision file names", () => {
  it("formats Alembic's file_template tokens", () => {
    const values = {
      rev: "abc",
      slug: "create_notes",
      year: 2025,
      month: 3,
      day: 7,
      hour: 9,
      minute: 5,
      second: 0,
    };
    expect(formatFileTemplate("%(rev)s_%(slug)s", values)).toBe("abc_create_notes");
    expect(formatFileTemplate("%(year)d_%(month).2d_%(day).2d-%(rev)s", values)).toBe("2025_03_07-abc");
    expect(formatFileTemplate("%(hour)02d%(minute)02d_100%%", values)).toBe("0905_100%");
  });

  it("rejects an unknown token", () => {
    expect(() => formatFileTemplate("%(branch)s", {})).toThrow("file_template uses %(branch)s");
  });

  it("slugs and truncates the message as Alembic does", () => {
    expect(slugify("Create notes", 40)).toBe("create_notes");
    expect(slugify("create many different things at once", 20)).toBe("create_many_");
  });

  it("puts the file in the versions folder", () => {
    const now = new Date(2025, 0, 2, 3, 4, 5);
    const setup = { ...SETUP, fileTemplate: "%(year)d%(month).2d%(day).2d_%(rev)s_%(slug)s" };
    expect(revisionPath(setup, "abc", "create notes", now)).toBe("alembic/versions/20250102_abc_create_notes.py");
  });
});

describe("indexName", () => {
  it.each([
    ["ix_%(column_0_label)s", "ix_notes_owner_id"],
    ["%(table_name)s_%(column_0_name)s_idx", "notes_owner_id_idx"],
    ["ix_%(table_name)s_%(column_0_N_name)s", "ix_notes_owner_id"],
    ["ix_%(column_0N_key)s%%", "ix_owner_id%"],
  ])("names %s", (template, name) => {
    expect(indexName(template, "notes", ["owner_id"])).toBe(name);
  });

  it("rejects a template that needs an explicit name", () => {
    expect(() => indexName("ix_%(constraint_name)s", "notes", ["owner_id"])).toThrow("%(constraint_name)s");
  });
});

const TYPES_MODULE = `from datetime import datetime

from sqlalchemy import DateTime, TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    impl = DateTime(timezone=True)
    cache_ok = True
`;

const BASE_MODULE = `from sqlalchemy import MetaData, String
from sqlalchemy.orm import DeclarativeBase

from app.conventions import NAMING


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {str: String(100)}
`;

const MODEL_MODULE = `import uuid
from datetime import datetime
from typing import Optional

import sqlalchemy as sa
from sqlalchemy import Column, ForeignKey, Integer
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .db import Base
from .types import UTCDateTime


class Thing(Base):
    __tablename__ = "things"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column("thing_code", unique=True)
    slug: Mapped[str] = mapped_column(sa.String(40), index=True, unique=True)
    note: Mapped[Optional[str]] = mapped_column(sa.Text)
    seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    count = Column(Integer, default=0)
    owner = relationship("User")
`;

describe("readModelTable", () => {
  async function thingProject(conventions = 'NAMING = {"ix": "%(table_name)s_%(column_0_name)s_idx"}\n') {
    const project = await projectWith({
      "app/__init__.py": "",
      "app/conventions.py": conventions,
      "app/db.py": BASE_MODULE,
      "app/types.py": TYPES_MODULE,
      "app/things.py": MODEL_MODULE,
    });
    const [base] = await findDeclarativeBases(project);
    if (!base) throw new Error("no base");
    const named = { module: await project.module("app/things.py"), moduleName: "app.things" };
    return { project, base, named };
  }

  it("reads columns, foreign keys and indexes", async () => {
    const { project, base, named } = await thingProject();
    const table = await readModelTable(project, named, "Thing", base);
    expect(table.name).toBe("things");
    expect(table.columns).toEqual([
      { name: "id", type: "sa.Uuid()", primaryKey: true, nullable: false, unique: false, foreignKey: null },
      {
        name: "owner_id",
        type: "sa.Integer()",
        primaryKey: false,
        nullable: false,
        unique: false,
        foreignKey: 'sa.ForeignKey("users.id", ondelete="CASCADE")',
      },
      {
        name: "thing_code",
        type: "sa.String(100)",
        primaryKey: false,
        nullable: false,
        unique: true,
        foreignKey: null,
      },
      { name: "slug", type: "sa.String(40)", primaryKey: false, nullable: false, unique: false, foreignKey: null },
      { name: "note", type: "sa.Text()", primaryKey: false, nullable: true, unique: false, foreignKey: null },
      {
        name: "seen_at",
        type: "sa.DateTime(timezone=True)",
        primaryKey: false,
        nullable: true,
        unique: false,
        foreignKey: null,
      },
      { name: "count", type: "sa.Integer()", primaryKey: false, nullable: true, unique: false, foreignKey: null },
    ]);
    expect(table.indexes).toEqual([
      { name: "things_owner_id_idx", columns: ["owner_id"], unique: false },
      { name: "things_slug_idx", columns: ["slug"], unique: true },
    ]);
  });

  it("rejects a naming convention without an ix entry", async () => {
    const { project, base, named } = await thingProject('NAMING = {"pk": "pk_%(table_name)s"}\n');
    const error = await cliError(() => readModelTable(project, named, "Thing", base));
    expect(error.message).toContain('it has no "ix" entry, so SQLAlchemy cannot name the index on things.owner_id');
  });

  it("renders the revision with ruff's layout", () => {
    const text = renderCreateTableRevision(
      {
        name: "things",
        columns: [
          { name: "id", type: "sa.Integer()", primaryKey: true, nullable: false, unique: false, foreignKey: null },
          { name: "note", type: "sa.Text()", primaryKey: false, nullable: true, unique: true, foreignKey: null },
        ],
        indexes: [{ name: "ix_things_note", columns: ["note"], unique: true }],
      },
      { revision: "bbb", parent: "aaa" },
    );
    expect(text).toContain('revision: str = "bbb"\ndown_revision: str | None = "aaa"\n');
    expect(text).toContain('        sa.Column("note", sa.Text(), nullable=True, unique=True),\n');
    expect(text).toContain(
      '    op.create_index(\n        "ix_things_note",\n        "things",\n        ["note"],\n        unique=True,\n    )\n',
    );
    expect(text).toContain(
      '    op.drop_index(\n        "ix_things_note",\n        table_name="things",\n    )\n    op.drop_table("things")\n',
    );
  });
});

describe("findUserModel", () => {
  const base = "from sqlalchemy.orm import DeclarativeBase\n\n\nclass Base(DeclarativeBase):\n    pass\n";

  it.each([
    ["an int", "id: Mapped[int] = mapped_column(primary_key=True)", "int"],
    ["a UUID", "id: Mapped[uuid.UUID] = mapped_column(primary_key=True)", "uuid.UUID"],
    ["a str", 'id: Mapped[str] = mapped_column("user_id", String(36), primary_key=True)', "str"],
    ["a legacy Column", "id = Column(BigInteger, primary_key=True)", "int"],
  ])("reads %s primary key", async (_label, line, keyType) => {
    const project = await projectWith({
      "app/__init__.py": "",
      "app/db.py": base,
      "app/models.py": `import uuid\n\nfrom sqlalchemy import BigInteger, Column, String\nfrom sqlalchemy.orm import Mapped, mapped_column\n\nfrom app.db import Base\n\n\nclass Account(Base):\n    __tablename__ = "users"\n\n    ${line}\n`,
    });
    const [found] = await findDeclarativeBases(project);
    const user = await findUserModel(project, found as NonNullable<typeof found>);
    expect(user?.name).toBe("Account");
    expect(user?.tableName).toBe("users");
    expect(user?.keyType).toBe(keyType);
    expect(user?.keyColumn).toBe(line.includes('"user_id"') ? "user_id" : "id");
  });

  it("returns null without a users model", async () => {
    const project = await projectWith({ "app/__init__.py": "", "app/db.py": base });
    const [found] = await findDeclarativeBases(project);
    expect(await findUserModel(project, found as NonNullable<typeof found>)).toBeNull();
  });

  it("rejects a composite primary key", async () => {
    const project = await projectWith({
      "app/__init__.py": "",
      "app/db.py":
        `${base}\n\nclass User(Base):\n    __tablename__ = "people"\n    org: Mapped[int] = mapped_column(primary_key=True)\n    id: Mapped[int] = mapped_column(primary_key=True)\n`.replace(
          "from sqlalchemy.orm import DeclarativeBase",
          "from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column",
        ),
    });
    const [found] = await findDeclarativeBases(project);
    const error = await cliError(() => findUserModel(project, found as NonNullable<typeof found>));
    expect(error.message).toContain("app.db.User needs one primary key column of int, str or UUID values");
  });
});

describe("env.py registration", () => {
  const files = {
    "app/__init__.py": "",
    "app/main.py": "from app.routers import notes\n",
    "app/models.py": "from sqlalchemy.orm import DeclarativeBase\n",
    "app/routers/__init__.py": "",
    "app/routers/notes.py": "from app.models import Base\n",
  };

  it("follows imports through packages", async () => {
    const project = await projectWith({
      ...files,
      "alembic/env.py": "from alembic import context\n\nfrom app.main import app\n",
    });
    expect([...(await importedFiles(project, "alembic/env.py"))].sort()).toEqual([
      "alembic/env.py",
      "app/__init__.py",
      "app/main.py",
      "app/models.py",
      "app/routers/__init__.py",
      "app/routers/notes.py",
    ]);
  });

  it("leaves a reaching env.py alone", async () => {
    const env = "from alembic import context\n\nfrom app.main import app\n\ntarget_metadata = app.state.metadata\n";
    const project = await projectWith({ ...files, "alembic/env.py": env });
    expect(await registerModelModule(project, SETUP, "app/routers/notes.py", "Note")).toBeNull();
    expect(project.staged()).toEqual([]);
  });

  it("imports an unreached model module", async () => {
    const env = "from alembic import context\n\nfrom app.models import Base\n\ntarget_metadata = Base.metadata\n";
    const project = await projectWith({ ...files, "alembic/env.py": env });
    const note = await registerModelModule(project, SETUP, "app/routers/notes.py", "Note");
    expect(note).toContain("alembic/env.py now imports app.routers.notes");
    expect(project.staged()).toEqual([
      {
        path: "alembic/env.py",
        content:
          "from alembic import context\n\nfrom app.models import Base\nfrom app.routers import notes  # noqa: F401\n\ntarget_metadata = Base.metadata\n",
      },
    ]);
  });

  it("ignores env.py without target metadata", async () => {
    const env = "from alembic import context\n\ntarget_metadata = None\n";
    const project = await projectWith({ ...files, "alembic/env.py": env });
    expect(await registerModelModule(project, SETUP, "app/routers/notes.py", "Note")).toBeNull();
  });
});
