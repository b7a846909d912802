import { readFile } from "node:fs/promises";
import path from "node:path";
import { CliError } from "../../errors.js";
import { quoteString } from "../../generator/escape.js";
import { SNIPPETS_ROOT } from "../../paths.js";
import { SCAFFOLDS_FOLDER } from "../../snippets/catalog.js";
import { findAlembic } from "../alembic/config.js";
import { nextRevision } from "../alembic/history.js";
import { addModelMigration } from "../alembic/model-migration.js";
import { addImports, locateApp } from "../existing.js";
import { emptyPlan, presentPlan, type AddPlan } from "../plan.js";
import type { Project } from "../project.js";
import { insertAfterApp, type AppSite } from "../python/app.js";
import { formatFromImport, importBindings } from "../python/imports.js";
import {
  findDeclarativeBases,
  findSessionDependencies,
  type DeclarativeBaseDefinition,
  type ModuleName,
  type SessionDependency,
} from "../python/sqlalchemy.js";
import { dottedName, expressionOf, insertLinesAfter, statements, type SyntaxNode } from "../python/source.js";
import { findUserModel, type UserModel } from "../python/tables.js";
import { findInCode } from "../search.js";
import type { AddContext } from "./index.js";
import { renameScaffold, type ResourceNames } from "./resource.js";

/** The line in the scaffolds that the project's own imports replace. */
const IMPORTS_MARKER = "# PROJECT IMPORTS\n";

/** One `from module import name [as alias]` that a scaffold needs from the project. */
interface ProjectImport {
  module: string;
  name: string;
  alias: string;
}

/** Format the project's imports as ruff's isort sorts them: by module, names merged per module. */
function formatImports(imports: readonly ProjectImport[]): string {
  const byModule = new Map<string, string[]>();
  for (const item of imports) {
    const member = item.alias === item.name ? item.name : `${item.name} as ${item.alias}`;
    byModule.set(item.module, [...(byModule.get(item.module) ?? []), member]);
  }
  const modules = [...byModule.keys()].sort((a, b) => (a.toLowerCase() < b.toLowerCase() ? -1 : 1));
  return modules.map((module) => `${formatFromImport(module, byModule.get(module) ?? [])}\n`).join("");
}

/** Next steps for a project that has none, or several, of a definition that `add resource` needs. */
interface DefinitionHints {
  none: string;
  several: string;
}

/** Return the one definition found, or throw a CliError that names the kind, the places and the next step. */
function only<T extends ModuleName>(found: readonly T[], kind: string, hints: DefinitionHints): T {
  if (found.length === 1) return found[0] as T;
  const places = found.map((item) => `${item.moduleName}.${item.name}`).join(", ");
  throw new CliError(
    found.length === 0
      ? `No ${kind} found, and add resource stores the resource in a SQLAlchemy table.`
      : `Found ${found.length} ${kind}s (${places}), so it is unclear which to use.`,
    {
      hint: `${found.length === 0 ? hints.none : hints.several} Nothing was written.`,
    },
  );
}

const BASE_HINTS: DefinitionHints = {
  none:
    "Set up SQLAlchemy first: a base class for the models (`class Base(DeclarativeBase): pass`, from sqlalchemy.orm) " +
    "and a dependency that yields a Session, then run secure-fastapi add resource again.",
  several: "Keep one DeclarativeBase subclass for the models, or add the resource by hand.",
};

const SESSION_HINTS: DefinitionHints = {
  none:
    "Add a dependency that yields a SQLAlchemy Session, such as `def get_session() -> Iterator[Session]` " +
    "or `SessionDep = Annotated[Session, Depends(get_session)]`, then run secure-fastapi add resource again.",
  several: "Keep one session dependency, or add the resource by hand.",
};

/** Find the module-level name under which the application's module exposes the application. */
function exposedAppName(app: AppSite): string {
  if (app.scope.type !== "function_definition") return app.name;
  const factory = app.scope.child("name")?.text;
  for (const statement of statements(app.module.root)) {
    const assignment = expressionOf(statement);
    const right = assignment?.type === "assignment" ? assignment.child("right") : null;
    const left = assignment?.child("left");
    if (right?.type === "call" && left?.type === "identifier" && dottedName(right.child("function")) === factory)
      return left.text;
  }
  throw new CliError(
    `${app.module.path} creates the application in ${factory ?? "a function"} but assigns no module-level name from it.`,
    {
      hint: `Add \`app = ${factory ?? "create_app"}()\` at the end of the module, then run the command again; nothing was written.`,
    },
  );
}

/** List the include_router calls on the application in the block that creates it. */
function includeCalls(app: AppSite): SyntaxNode[] {
  const block = app.statement.parent as SyntaxNode;
  return statements(block).filter((statement) => {
    const call = expressionOf(statement);
    return call?.type === "call" && dottedName(call.child("function")) === `${app.name}.include_router`;
  });
}

/**
 * Choose the package for the new module: the one the application's routers come
 * from (`app.routers` for `app.include_router(items.router)` with
 * `from app.routers import items`), else the application's own package.
 */
async function routersPackage(project: Project, app: AppSite): Promise<string> {
  const bindings = importBindings(app.module);
  for (const statement of includeCalls(app)) {
    const first = expressionOf(statement)?.child("arguments")?.namedChildren[0] ?? null;
    const local = dottedName(first)?.split(".")[0];
    const source = local ? bindings.get(local) : undefined;
    if (source && !source.startsWith(".")) return source.split(".").slice(0, -1).join(".");
  }
  return app.moduleName.split(".").slice(0, -1).join(".");
}

/**
 * Render a scaffold of an owned resource. Without a user model the owner is
 * the token's subject as text. With one, the owner is a foreign key to the
 * users table, so `OwnerKey` and `"users.id"` in the scaffold become the
 * type and column of the users' primary key.
 */
async function scaffold(
  context: AddContext,
  file: string,
  names: ResourceNames,
  owner: UserModel | null,
  imports: readonly ProjectImport[],
  extra = "",
): Promise<string> {
  const folder = owner ? "user-owned-resource" : "owned-resource";
  const root = path.join(context.snippetsRoot ?? SNIPPETS_ROOT, SCAFFOLDS_FOLDER, folder);
  const source = await readFile(path.join(root, file), "utf8");
  // The key type goes in before the rename, which could otherwise turn a resource named owner_key into OwnerKey.
  let text = renameScaffold(owner ? source.replaceAll("OwnerKey", owner.keyType) : source, names);
  if (owner) text = text.replaceAll('"users.id"', quoteString(`${owner.tableName}.${owner.keyColumn}`));
  return text.replace(IMPORTS_MARKER, `${formatImports(imports)}${extra}`);
}

/** Import the user model as `User` and the session dependency as `get_session`, for the tests of a user-owned resource. */
function userTestImports(
  owner: UserModel,
  session: SessionDependency,
): { imports: ProjectImport[]; definition: string } {
  const user = { module: owner.moduleName, name: owner.name, alias: "User" };
  if (session.kind === "function") {
    return {
      imports: [user, { module: session.moduleName, name: session.name, alias: "get_session" }],
      definition: "",
    };
  }
  return {
    imports: [user, { module: session.moduleName, name: session.name, alias: "SessionDep" }],
    definition:
      "\n# The function behind SessionDep, which the tests call for sessions of their own.\nget_session = SessionDep.__metadata__[0].dependency\n",
  };
}

function sessionImports(session: SessionDependency): { imports: ProjectImport[]; definition: string } {
  if (session.kind === "alias") {
    return { imports: [{ module: session.moduleName, name: session.name, alias: "SessionDep" }], definition: "" };
  }
  return {
    imports: [{ module: session.moduleName, name: session.name, alias: session.name }],
    definition: `\nSessionDep = Annotated[Session, Depends(${session.name})]\n`,
  };
}

/** Parts of the project that the resource's modules import. */
interface ProjectParts {
  app: AppSite;
  base: DeclarativeBaseDefinition;
  session: SessionDependency;
  owner: UserModel | null;
  securityModule: string;
}

/** Stage the module with the model, schemas and routes, and its test module. */
async function stageModules(
  context: AddContext,
  names: ResourceNames,
  parts: ProjectParts,
  files: { module: string; tests: string },
): Promise<void> {
  const { app, base, session, owner, securityModule } = parts;
  const { imports, definition } = sessionImports(session);
  const moduleImports = [
    { module: base.moduleName, name: base.name, alias: "Base" },
    ...imports,
    { module: securityModule, name: "CurrentSubject", alias: "CurrentSubject" },
  ];
  if (owner) moduleImports.push({ module: owner.moduleName, name: owner.name, alias: "User" });
  let module = await scaffold(context, "module.py", names, owner, moduleImports, definition);
  if (session.kind === "function")
    module = module.replace(
      "from sqlalchemy.orm import Mapped, mapped_column",
      "from sqlalchemy.orm import Mapped, Session, mapped_column",
    );
  context.project.stage(files.module, module);

  const testImports = [
    { module: app.moduleName, name: exposedAppName(app), alias: "app" },
    { module: securityModule, name: "create_access_token", alias: "create_access_token" },
  ];
  const userImports = owner ? userTestImports(owner, session) : { imports: [], definition: "" };
  const tests = await scaffold(
    context,
    "test_module.py",
    names,
    owner,
    [...testImports, ...userImports.imports],
    userImports.definition,
  );
  context.project.stage(files.tests, tests);
}

/** Include the new router after the application's other routers, and import its module. */
async function includeRouter(project: Project, app: AppSite, packageName: string, names: ResourceNames): Promise<void> {
  const calls = includeCalls(app);
  const last = calls[calls.length - 1];
  const line = [`${app.name}.include_router(${names.plural}.router)`];
  const edit = last ? insertLinesAfter(app.module.text, last, line) : insertAfterApp(app, line);
  project.stage(
    app.module.path,
    app.module.text.slice(0, edit.offset) + edit.text + app.module.text.slice(edit.offset),
  );
  await addImports(project, app.module.path, [{ module: packageName, names: [names.plural] }]);
}

/**
 * Plan an owned resource in a project this tool did not generate. It needs
 * the JWT building blocks from `add auth` (the owner is the token's
 * subject), one SQLAlchemy declarative base and one session dependency. It
 * writes one module with the model, schemas and routes beside the project's
 * routers, includes its router, and adds a test module. With a users model
 * the owner column is a foreign key to it. With Alembic it adds a revision
 * that creates the table; otherwise the table comes from
 * `Base.metadata.create_all`.
 */
export async function planExistingResource(context: AddContext, names: ResourceNames): Promise<AddPlan> {
  const { project } = context;
  const tokens = project.state?.files.find((entry) => entry.snippet === "tokens");
  if (!tokens) {
    throw new CliError(
      "A resource is owned by the subject of a bearer token, and this project has no token verification from secure-fastapi.",
      {
        hint: "Run secure-fastapi add auth first; nothing was written.",
      },
    );
  }
  const app = await locateApp(project);
  const packageName = await routersPackage(project, app);
  const importRoot = await project.importRoot(app.module.path);
  const folder = path.posix.join(importRoot, ...packageName.split(".").filter(Boolean));
  const moduleFile = path.posix.join(folder, `${names.plural}.py`);
  const testsFile = `tests/test_${names.plural}.py`;
  const included = app.module.text.includes(`${names.plural}.router`);
  if ((await project.exists(moduleFile)) && included)
    return presentPlan(project, `The ${names.singular} resource is already there: ${moduleFile}.`);
  for (const file of [moduleFile, testsFile]) {
    if (await project.exists(file)) {
      throw new CliError(`Cannot add the ${names.singular} resource: ${file} exists.`, {
        hint: "Choose another name, or move that file; nothing was written.",
      });
    }
  }

  const alembic = await findAlembic(project);
  // Check the history before anything else, so that a branched one stops the run with its own message.
  if (alembic) await nextRevision(project, alembic);
  const base = only(await findDeclarativeBases(project), "SQLAlchemy declarative base", BASE_HINTS);
  const session = only(await findSessionDependencies(project), "session dependency", SESSION_HINTS);
  const owner = await findUserModel(project, base);
  const securityModule = await project.moduleName(tokens.path);

  const plan = emptyPlan(project);
  const parts = { app, base, session, owner, securityModule };
  await stageModules(context, names, parts, { module: moduleFile, tests: testsFile });
  await includeRouter(project, app, packageName, names);

  if (alembic) {
    const migration = await addModelMigration(project, alembic, { file: moduleFile, className: names.className }, base);
    plan.notes.push(...migration.notes);
  } else if (!(await findInCode(project, /\.create_all\(/))) {
    plan.notes.push(
      `Create the ${names.plural} table: this project has no Base.metadata.create_all call or migrations that secure-fastapi recognises.`,
    );
  }
  if (owner) {
    plan.notes.push(
      `The owner of a ${names.singular} is the ${owner.name} whose ${owner.keyAttribute} is the token's subject: issue tokens with create_access_token(str(user.${owner.keyAttribute}), ...).`,
    );
  }
  const places = alembic ? `${moduleFile}, its schemas and the migration` : moduleFile;
  plan.notes.push(`Add your own columns to ${names.className} in ${places} before you deploy it.`);
  return plan;
}
