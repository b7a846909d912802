import { readFile } from "node:fs/promises";
import path from "node:path";
import { CliError, UsageError } from "../../errors.js";
import { SNIPPETS_ROOT } from "../../paths.js";
import { SCAFFOLDS_FOLDER } from "../../snippets/catalog.js";
import { addImports } from "../existing.js";
import { generatedOptions } from "../generated.js";
import { emptyPlan, presentPlan, type AddPlan } from "../plan.js";
import type { Project } from "../project.js";
import { findAlembic, type AlembicSetup } from "../alembic/config.js";
import { nextRevision } from "../alembic/history.js";
import { addModelMigration } from "../alembic/model-migration.js";
import { formatFromImport, importBindings, sortMembers } from "../python/imports.js";
import { dottedName, expressionOf, insertLinesAfter, statements, type PythonModule } from "../python/source.js";
import { findDeclarativeBases } from "../python/sqlalchemy.js";
import { addRuffIgnore } from "../ruff-config.js";
import { planExistingResource } from "./existing-resource.js";
import { findSingularInProject, pluralToSingular } from "./resource-plural.js";
import type { AddContext } from "./index.js";

/** The names one resource uses, derived from its singular snake_case name. */
export interface ResourceNames {
  singular: string;
  plural: string;
  className: string;
  pluralClassName: string;
}

const NAME_PATTERN = /^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$/;
/** Maximum name length at which the scaffold's longest lines stay within 88 characters. */
export const MAX_NAME_LENGTH = 20;
const RESERVED = new Set(
  (
    "and as assert async await break class continue def del elif else except finally for from global if import in " +
    "is lambda nonlocal not or pass raise return try while with yield base user document file stored_file health " +
    "auth token setting model schema test owner_id"
  ).split(" "),
);

/** English plural of a snake_case name's last word: -ies after a consonant and y, -es after s, x, z, ch, sh. */
export function pluralize(name: string): string {
  if (/[^aeiou]y$/.test(name)) return `${name.slice(0, -1)}ies`;
  if (/(s|x|z|ch|sh)$/.test(name)) return `${name}es`;
  return `${name}s`;
}

function pascalCase(name: string): string {
  return name
    .split("_")
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join("");
}

/** Validate a resource name and derive its other forms. */
export function resourceNames(name: string | undefined): ResourceNames {
  if (name === undefined || !NAME_PATTERN.test(name) || name.length > MAX_NAME_LENGTH) {
    throw new UsageError(
      `Invalid resource name ${JSON.stringify(name ?? "")}: use a singular snake_case name of at most ${MAX_NAME_LENGTH} characters.`,
      "For example: secure-fastapi add resource note, or secure-fastapi add resource blog_post.",
    );
  }
  if (RESERVED.has(name)) {
    throw new UsageError(
      `Invalid resource name ${JSON.stringify(name)}: the project already uses it, or Python reserves it.`,
      "Choose another name.",
    );
  }
  const singular = pluralToSingular(name);
  if (singular !== null) {
    const reserved = RESERVED.has(singular);
    throw new UsageError(
      `Invalid resource name ${JSON.stringify(name)}: it looks like a plural, so its table and route would be ${pluralize(name)}.`,
      reserved
        ? `Use another singular name: the project already uses ${singular}.`
        : `Use the singular name: ${singular} (secure-fastapi add resource ${singular}).`,
    );
  }
  const plural = pluralize(name);
  return { singular: name, plural, className: pascalCase(name), pluralClassName: pascalCase(plural) };
}

/** Reject a name that is the plural of a model, table or module the project has, such as menus beside Menu. */
async function checkSingularInProject(project: Project, names: ResourceNames): Promise<void> {
  const found = await findSingularInProject(project, names.singular);
  if (found === null) return;
  throw new UsageError(
    `Invalid resource name ${JSON.stringify(names.singular)}: it is the plural of ${found.singular}, and ${found.place}.`,
    "Use another singular name; nothing was written.",
  );
}

/**
 * Rename the scaffold's sample resource, `widget`, to the resource's names.
 * The scaffolds are plain Python that uses these words only for the resource.
 */
export function renameScaffold(text: string, names: ResourceNames): string {
  const replacements: Record<string, string> = {
    WIDGETS: names.plural.toUpperCase(),
    Widgets: names.pluralClassName,
    Widget: names.className,
    widgets: names.plural,
    widget: names.singular,
  };
  const renamed = text.replace(/WIDGETS|Widgets|Widget|widgets|widget/g, (word) => replacements[word] ?? word);
  return sortImportedNames(renamed);
}

/**
 * Put the names of each `from X import ...` back in ruff's order, which a
 * rename can change (BoxesPublic sorts before BoxListParams, WidgetsPublic
 * after WidgetListParams). A parenthesized list keeps one name per line.
 */
function sortImportedNames(text: string): string {
  const multiLine = /^from ([\w.]+) import \(\n((?: {4}\w+,\n)+)\)$/gm;
  const sorted = text.replace(multiLine, (_match, module: string, body: string) => {
    const members = body
      .split("\n")
      .map((line) => line.trim().replace(/,$/, ""))
      .filter(Boolean);
    return `from ${module} import (\n${sortMembers(members)
      .map((name) => `    ${name},\n`)
      .join("")})`;
  });
  return sorted.replace(/^from ([\w.]+) import ([\w ]+(?:, [\w ]+)+)$/gm, (_match, module: string, list: string) =>
    formatFromImport(module, list.split(", ")),
  );
}

async function readScaffold(context: AddContext, file: string, names: ResourceNames): Promise<string> {
  const root = path.join(context.snippetsRoot ?? SNIPPETS_ROOT, SCAFFOLDS_FOLDER, "resource");
  return renameScaffold(await readFile(path.join(root, file), "utf8"), names);
}

/** Names defined or imported at the top level of a module. */
function topLevelNames(module: PythonModule): Set<string> {
  const names = new Set(importBindings(module).keys());
  for (const statement of statements(module.root)) {
    const definition = statement.type === "decorated_definition" ? statement.child("definition") : statement;
    const defined = definition?.child("name")?.text;
    if (defined && (definition?.type === "class_definition" || definition?.type === "function_definition"))
      names.add(defined);
    const assignment = expressionOf(statement);
    const left = assignment?.type === "assignment" ? assignment.child("left") : null;
    if (left?.type === "identifier") names.add(left.text);
  }
  return names;
}

/** Append a scaffold fragment to a module after checking that the names it uses are there. */
async function appendToModule(
  project: Project,
  file: string,
  fragment: string,
  required: readonly string[],
): Promise<void> {
  const module = await project.module(file);
  const missing = required.filter((name) => !topLevelNames(module).has(name));
  if (missing.length > 0) {
    throw new CliError(`Cannot extend ${file}: it no longer defines or imports ${missing.join(", ")}.`, {
      hint: "Add the resource by hand, following app/api/routes/documents.py; nothing was written.",
    });
  }
  const base = module.text.endsWith("\n") ? module.text : `${module.text}\n`;
  project.stage(file, `${base}${fragment}`);
}

const ROUTER_FILE = "app/api/router.py";

/** Import the new routes module in app/api/router.py and include its router after the others. */
async function includeRouter(project: Project, names: ResourceNames): Promise<void> {
  const module = await project.module(ROUTER_FILE);
  const includes = statements(module.root).filter((statement) => {
    const call = expressionOf(statement);
    return call?.type === "call" && dottedName(call.child("function"))?.endsWith(".include_router") === true;
  });
  const last = includes[includes.length - 1];
  const router = last ? dottedName(expressionOf(last)?.child("function") ?? null)?.split(".")[0] : undefined;
  if (!last || !router) {
    throw new CliError(`Cannot find the include_router calls in ${ROUTER_FILE}.`, {
      hint: `Include ${names.plural}.router by hand; nothing was written.`,
    });
  }
  const edit = insertLinesAfter(module.text, last, [`${router}.include_router(${names.plural}.router)`]);
  project.stage(ROUTER_FILE, module.text.slice(0, edit.offset) + edit.text + module.text.slice(edit.offset));
  await addImports(project, ROUTER_FILE, [{ module: "app.api.routes", names: [names.plural] }]);
}

const MODELS_FILE = "app/models.py";

/** Find the Alembic setup that every generated project has. */
async function generatedAlembic(project: Project): Promise<AlembicSetup> {
  const setup = await findAlembic(project);
  if (setup === null) {
    throw new CliError("Cannot find the project's Alembic setup: alembic.ini and alembic/env.py are missing.", {
      hint: "Restore them from a newly generated project; nothing was written.",
    });
  }
  return setup;
}

/** Write the migration that creates the model's table after the current head, with the writer that other projects use. */
async function addMigration(project: Project, setup: AlembicSetup, names: ResourceNames): Promise<string[]> {
  const base = (await findDeclarativeBases(project)).find(
    (item) => item.moduleName === "app.models" && item.name === "Base",
  );
  if (!base) {
    throw new CliError(`Cannot find the declarative base \`Base\` in ${MODELS_FILE}.`, {
      hint: "Add the resource by hand, following app/api/routes/documents.py; nothing was written.",
    });
  }
  const model = { file: MODELS_FILE, className: names.className };
  return (await addModelMigration(project, setup, model, base)).notes;
}

/**
 * Plan an owned resource in a generated project with accounts: a model, a
 * migration, CRUD routes that filter every query by owner, and their tests,
 * shaped like the documents the project already has.
 */
export async function planResource(context: AddContext): Promise<AddPlan> {
  const names = resourceNames(context.argument);
  const { project } = context;
  await checkSingularInProject(project, names);

  if (!project.generated) return planExistingResource(context, names);
  if (generatedOptions(project).auth !== "jwt") {
    throw new CliError("A resource is owned by a user, and this project has no user accounts.", {
      hint: "Run secure-fastapi add auth first; nothing was written.",
    });
  }

  const routesFile = `app/api/routes/${names.plural}.py`;
  const testsFile = `tests/test_${names.plural}.py`;
  const hasModel = topLevelNames(await project.module("app/models.py")).has(names.className);
  const hasRoutes = await project.exists(routesFile);
  if (hasModel && hasRoutes)
    return presentPlan(project, `The ${names.singular} resource is already there: ${routesFile}.`);
  if (hasModel || hasRoutes || (await project.exists(testsFile))) {
    const found = hasModel
      ? `app/models.py defines ${names.className}`
      : `${hasRoutes ? routesFile : testsFile} exists`;
    throw new CliError(`Part of the ${names.singular} resource is already there: ${found}.`, {
      hint: "Choose another name, or remove the partial resource; nothing was written.",
    });
  }

  const alembic = await generatedAlembic(project);
  // Check the history first, so that a branched one stops the run before any other message.
  await nextRevision(project, alembic);

  const plan = emptyPlan(project);
  project.stage(routesFile, await readScaffold(context, "routes.py", names));
  project.stage(testsFile, await readScaffold(context, "test_routes.py", names));
  await appendToModule(project, MODELS_FILE, await readScaffold(context, "model.py", names), [
    "Base",
    "uuid",
    "datetime",
    "Mapped",
    "mapped_column",
    "ForeignKey",
    "String",
    "Text",
    "UTCDateTime",
    "utc_now",
  ]);
  await appendToModule(project, "app/schemas.py", await readScaffold(context, "schemas.py", names), [
    "InputModel",
    "OutputModel",
    "Title",
    "Content",
    "BaseModel",
    "Field",
    "field_validator",
    "uuid",
    "datetime",
  ]);

  await includeRouter(project, names);
  plan.notes.push(...(await addMigration(project, alembic, names)));
  // The owned-row dependency reads the id from the path, which ruff's FAST003 does not follow.
  await addRuffIgnore(project, routesFile, "FAST003");
  plan.notes.push(
    `Add your own columns to ${names.className} in app/models.py, its schemas and the migration before you deploy it.`,
  );
  return plan;
}
