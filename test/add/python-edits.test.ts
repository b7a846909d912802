import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { addRequirements } from "../../src/add/dependencies.js";
import { MAX_NAME_LENGTH, pluralize, renameScaffold, resourceNames } from "../../src/add/features/resource.js";
import { findSingularInProject, pluralToSingular } from "../../src/add/features/resource-plural.js";
import { Project } from "../../src/add/project.js";
import { formatCall } from "../../src/add/python/format.js";
import { ensureFromImport, sortMembers } from "../../src/add/python/imports.js";
import { mergeModuleAdditions } from "../../src/add/python/merge.js";
import { applyEdits, parseModule } from "../../src/add/python/source.js";
import { SCAFFOLDS_FOLDER } from "../../src/snippets/catalog.js";
import type { CliError } from "../../src/errors.js";
import { SNIPPETS_ROOT } from "../../src/paths.js";

const FIRST_PARTY = new Set(["app"]);

async function withImport(text: string, module: string, names: string[]): Promise<string> {
  const parsed = await parseModule("main.py", text);
  return applyEdits(text, ensureFromImport(parsed, module, names, FIRST_PARTY));
}

describe("ensureFromImport", () => {
  it("extends an import in ruff's order", async () => {
    const text = "from app.api.routes import auth, users\n";
    expect(await withImport(text, "app.api.routes", ["notes"])).toBe("from app.api.routes import auth, notes, users\n");
  });

  it("wraps an import that grows past 88 characters", async () => {
    const text = "from app.schemas import DocumentCreate, DocumentListParams, DocumentPublic, DocumentUpdate\n";
    const result = await withImport(text, "app.schemas", ["DocumentsPublic"]);
    expect(result).toBe(
      "from app.schemas import (\n    DocumentCreate,\n    DocumentListParams,\n    DocumentPublic,\n    DocumentsPublic,\n    DocumentUpdate,\n)\n",
    );
  });

  it("leaves an import that has the names", async () => {
    const text = "from app.core import install_cors\n";
    expect(await withImport(text, "app.core", ["install_cors"])).toBe(text);
  });

  it("places a new project import in sorted position", async () => {
    const text =
      "import os\n\nfrom fastapi import FastAPI\n\nfrom app.config import settings\nfrom app.routers import items\n\napp = FastAPI()\n";
    expect(await withImport(text, "app.core.cors", ["install_cors"])).toBe(
      "import os\n\nfrom fastapi import FastAPI\n\nfrom app.config import settings\nfrom app.core.cors import install_cors\nfrom app.routers import items\n\napp = FastAPI()\n",
    );
  });

  it("starts a project section after third-party imports", async () => {
    const text = '"""Doc."""\n\nfrom fastapi import FastAPI\n\napp = FastAPI()\n';
    expect(await withImport(text, "app.core.cors", ["install_cors"])).toBe(
      '"""Doc."""\n\nfrom fastapi import FastAPI\n\nfrom app.core.cors import install_cors\n\napp = FastAPI()\n',
    );
  });

  it("keeps an import that has a comment", async () => {
    const text = "from app.core import (  # ours\n    a,\n)\n";
    expect(await withImport(text, "app.core", ["b"])).toBe(
      "from app.core import (  # ours\n    a,\n)\nfrom app.core import b\n",
    );
  });

  it("sorts constants, then classes, then functions", () => {
    expect(sortMembers(["install", "Settings", "MAX", "BodyLimit", "api"])).toEqual([
      "MAX",
      "BodyLimit",
      "Settings",
      "api",
      "install",
    ]);
  });
});

describe("mergeModuleAdditions", () => {
  const BASE = [
    "from fastapi import APIRouter",
    "",
    "from app.api.routes import health",
    "",
    "api_router = APIRouter()",
    "api_router.include_router(health.router)",
    "",
  ].join("\n");
  const NEXT = [
    "from fastapi import APIRouter",
    "",
    "from app.api.routes import auth, health",
    "from app.llm.routes import router as llm_router",
    "",
    "api_router = APIRouter()",
    "api_router.include_router(health.router)",
    "api_router.include_router(auth.router)",
    "api_router.include_router(llm_router)",
    "",
  ].join("\n");
  const EDITED = BASE.replace("import health\n", "import health, items\n").replace(
    "(health.router)\n",
    "(health.router)\napi_router.include_router(items.router)\n",
  );

  function merge(current: string, base = BASE, next = NEXT): Promise<string | null> {
    return mergeModuleAdditions("app/api/router.py", current, base, next, FIRST_PARTY);
  }

  it("adds imports and includes after the user's", async () => {
    expect(await merge(EDITED)).toBe(
      [
        "from fastapi import APIRouter",
        "",
        "from app.api.routes import auth, health, items",
        "from app.llm.routes import router as llm_router",
        "",
        "api_router = APIRouter()",
        "api_router.include_router(health.router)",
        "api_router.include_router(items.router)",
        "api_router.include_router(auth.router)",
        "api_router.include_router(llm_router)",
        "",
      ].join("\n"),
    );
  });

  it("leaves statements the user already has", async () => {
    const current = `${EDITED.replace("import health, items", "import auth, health, items")}api_router.include_router(auth.router)\napi_router.include_router(llm_router)\n`;
    const withImport = current.replace("items\n", "items\nfrom app.llm.routes import router as llm_router\n");
    expect(await merge(withImport)).toBe(withImport);
  });

  it("keeps a comment of the change with its statement", async () => {
    const base = 'DOCS_URL = "/docs"\n\n\ndef f() -> None:\n    pass\n';
    const next = 'DOCS_URL = "/docs"\n# Allowance for headers.\nOVERHEAD = 16\n\n\ndef f() -> None:\n    pass\n';
    const current = 'DOCS_URL = "/docs"\n\n\ndef g() -> None:\n    pass\n\n\ndef f() -> None:\n    pass\n';
    expect(await merge(current, base, next)).toBe(
      'DOCS_URL = "/docs"\n\n\ndef g() -> None:\n    pass\n\n\n# Allowance for headers.\nOVERHEAD = 16\n\n\ndef f() -> None:\n    pass\n',
    );
  });

  it.each([
    ["the change edits a statement", EDITED, BASE, NEXT.replace("APIRouter()", "APIRouter(prefix='/v1')")],
    ["the change removes an import", EDITED, BASE, NEXT.replace("from fastapi import APIRouter\n", "")],
    [
      "the user removed the statement before the new ones",
      EDITED.replace("api_router.include_router(health.router)\n", ""),
      BASE,
      NEXT,
    ],
    [
      "the user binds an imported name elsewhere",
      EDITED.replace("\napi_router =", "from app.mine import auth\n\napi_router ="),
      BASE,
      NEXT,
    ],
    [
      "the user has some of the new statements",
      `${EDITED}api_router.include_router(auth.router)\n`,
      BASE,
      NEXT.replace("(auth.router)\n", "(auth.router)\napi_router.include_router(users.router)\n"),
    ],
  ])("returns null when %s", async (_label, current, base, next) => {
    expect(await merge(current, base, next)).toBeNull();
  });
});

describe("formatCall", () => {
  it("keeps a short call on one line", () => {
    expect(formatCall("install_cors", ["app", "origins=settings.CORS_ORIGINS"], 0)).toEqual([
      "install_cors(app, origins=settings.CORS_ORIGINS)",
    ]);
  });

  it("moves arguments to one indented line", () => {
    const args = ["app", "hsts=settings.HSTS_ENABLED", "max_body_bytes=settings.MAX_REQUEST_BODY_BYTES"];
    expect(formatCall("install_errors", args, 4)).toEqual([
      "install_errors(",
      "    app, hsts=settings.HSTS_ENABLED, max_body_bytes=settings.MAX_REQUEST_BODY_BYTES",
      ")",
    ]);
  });

  it("splits long calls one per line", () => {
    const args = ["app", "storage_uri=settings.RATE_LIMIT_STORAGE_URI", "default_limit=settings.DEFAULT_RATE_LIMIT"];
    expect(formatCall("install_rate_limit", args, 4)).toEqual([
      "install_rate_limit(",
      "    app,",
      "    storage_uri=settings.RATE_LIMIT_STORAGE_URI,",
      "    default_limit=settings.DEFAULT_RATE_LIMIT,",
      ")",
    ]);
  });
});

describe("addRequirements", () => {
  async function withFiles(files: Record<string, string>, requirements: string[]) {
    const root = await mkdtemp(path.join(tmpdir(), "csf-deps-"));
    try {
      for (const [name, text] of Object.entries(files)) await writeFile(path.join(root, name), text);
      const project = new Project(root, null);
      const file = await addRequirements(project, requirements);
      return { file, staged: project.staged() };
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  }

  it("appends to a multi-line dependencies array", async () => {
    const pyproject = '[project]\nname = "x"\ndependencies = [\n    "fastapi>=0.115",\n]\n\n[tool.ruff]\n';
    const { staged } = await withFiles({ "pyproject.toml": pyproject }, ["limits>=4.0"]);
    expect(staged[0]?.content).toBe(
      '[project]\nname = "x"\ndependencies = [\n    "fastapi>=0.115",\n    "limits>=4.0",\n]\n\n[tool.ruff]\n',
    );
  });

  it("appends to a one-line dependencies array", async () => {
    const { staged } = await withFiles({ "pyproject.toml": '[project]\ndependencies = ["fastapi"]\n' }, [
      "limits>=4.0",
    ]);
    expect(staged[0]?.content).toBe('[project]\ndependencies = ["fastapi", "limits>=4.0"]\n');
  });

  it("skips packages already listed under another spelling", async () => {
    const { file, staged } = await withFiles(
      { "pyproject.toml": '[project]\ndependencies = ["Pydantic_Settings>=2"]\n' },
      ["pydantic-settings>=2.9"],
    );
    expect(file).toBe("pyproject.toml");
    expect(staged).toEqual([]);
  });

  it("falls back to requirements.txt", async () => {
    const { file, staged } = await withFiles(
      { "pyproject.toml": "[tool.ruff]\n", "requirements.txt": "fastapi\n# pinned\n" },
      ["limits>=4.0"],
    );
    expect(file).toBe("requirements.txt");
    expect(staged[0]?.content).toBe("fastapi\n# pinned\nlimits>=4.0\n");
  });

  it("returns null without a dependency file", async () => {
    expect((await withFiles({}, ["limits>=4.0"])).file).toBeNull();
  });
});

describe("resource names", () => {
  it.each([
    ["note", "notes"],
    ["box", "boxes"],
    ["category", "categories"],
    ["day", "days"],
    ["batch", "batches"],
    ["blog_post", "blog_posts"],
  ])("pluralizes %s as %s", (name, plural) => {
    expect(pluralize(name)).toBe(plural);
  });

  it("derives class names", () => {
    expect(resourceNames("blog_post")).toEqual({
      singular: "blog_post",
      plural: "blog_posts",
      className: "BlogPost",
      pluralClassName: "BlogPosts",
    });
  });

  it.each(["resource", "owned-resource", "user-owned-resource"])(
    "fits the longest name in 88 columns in the %s scaffolds",
    async (scaffold) => {
      const names = resourceNames(`${"a".repeat(MAX_NAME_LENGTH - 2)}_b`);
      const folder = path.join(SNIPPETS_ROOT, SCAFFOLDS_FOLDER, scaffold);
      for (const file of await readdir(folder)) {
        // uuid.UUID is the longest key type that replaces OwnerKey.
        const text = renameScaffold(await readFile(path.join(folder, file), "utf8"), names).replaceAll(
          "OwnerKey",
          "uuid.UUID",
        );
        const long = text.split("\n").filter((line) => line.length > 88);
        expect(long, file).toEqual([]);
      }
    },
  );

  it.each([
    ["users", "user"],
    ["notes", "note"],
    ["documents", "document"],
    ["blog_posts", "blog_post"],
    ["boxes", "box"],
    ["categories", "category"],
    ["addresses", "address"],
    ["statuses", "status"],
  ])("takes %s for the plural of %s", (name, singular) => {
    expect(pluralToSingular(name)).toBe(singular);
  });

  it.each(["note", "status", "address", "class_session", "bus", "analysis", "canvas", "camera_lens"])(
    "takes %s for a singular",
    (name) => {
      expect(pluralToSingular(name)).toBeNull();
      expect(resourceNames(name).singular).toBe(name);
    },
  );

  it("rejects a plural with the singular in the hint", () => {
    expect(() => resourceNames("notes")).toThrow(
      'Invalid resource name "notes": it looks like a plural, so its table and route would be noteses.',
    );
    try {
      resourceNames("notes");
    } catch (error) {
      expect((error as CliError).hint).toBe("Use the singular name: note (secure-fastapi add resource note).");
      expect((error as CliError).exitCode).toBe(2);
    }
  });

  it("rejects the plural of a reserved name without suggesting it", () => {
    try {
      resourceNames("users");
      expect.unreachable();
    } catch (error) {
      expect((error as CliError).hint).toBe("Use another singular name: the project already uses user.");
    }
  });

  it("re-sorts imported names that a rename reorders", () => {
    const text = "from app.schemas import (\n    WidgetCreate,\n    WidgetListParams,\n    WidgetsPublic,\n)\n";
    expect(renameScaffold(text, resourceNames("box"))).toBe(
      "from app.schemas import (\n    BoxCreate,\n    BoxesPublic,\n    BoxListParams,\n)\n",
    );
  });
});

describe("findSingularInProject", () => {
  const MODELS = [
    "from sqlalchemy.orm import DeclarativeBase",
    "",
    "",
    "class Base(DeclarativeBase):",
    "    pass",
    "",
    "",
    "class Menu(Base):",
    '    __tablename__ = "menus"',
    "",
    "",
    "class Account(Base):",
    '    __tablename__ = "users"',
    "",
  ].join("\n");

  async function find(name: string) {
    const root = await mkdtemp(path.join(tmpdir(), "csf-plural-"));
    try {
      await writeFile(path.join(root, "models.py"), MODELS);
      await writeFile(path.join(root, "test_widgets.py"), "class Widget:\n    pass\n");
      return await findSingularInProject(new Project(root, null), name);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  }

  it("finds the model of a plural", async () => {
    expect(await find("menus")).toEqual({ singular: "menu", place: "models.py defines Menu" });
  });

  it("finds a table of that name", async () => {
    expect(await find("users")).toEqual({ singular: "account", place: "models.py defines Account, table users" });
  });

  it("finds a module of the singular name", async () => {
    expect(await find("modelses")).toEqual({ singular: "models", place: "the project has the module models" });
  });

  it.each(["status", "bus", "address", "note", "widgets"])("finds nothing for %s", async (name) => {
    expect(await find(name)).toBeNull();
  });
});
