import path from "node:path";
import { CliError } from "../errors.js";
import type { Snippet } from "../snippets/catalog.js";
import { renderSnippet } from "../snippets/render.js";
import { addRequirements, requirementFor } from "./dependencies.js";
import { emptyPlan, presentPlan, type AddPlan } from "./plan.js";
import type { Project } from "./project.js";
import { appIndentWidth, callsFunction, findApps, insertAfterApp, type AppSite } from "./python/app.js";
import { formatCall } from "./python/format.js";
import { ensureFromImport } from "./python/imports.js";
import {
  fieldNameFor,
  findSettingsAccess,
  findSettingsClasses,
  insertFields,
  type SettingsAccess,
  type SettingsClass,
} from "./python/settings.js";
import { applyEdits, type TextEdit } from "./python/source.js";

/** A settings field that a feature declares, named in upper case. */
export interface KitField {
  name: string;
  annotation: string;
  defaultValue?: string;
}

/**
 * The wiring of a feature into a project this tool did not generate: snippet
 * modules placed in the project's security package, fields in its settings
 * class, and one install call right after the application is created.
 */
export interface Kit {
  /** Snippet ids to place, dependencies first. */
  snippets: string[];
  /** The snippet whose module defines the install function and the field types. */
  installSnippet: string;
  installFunction: string;
  fields: KitField[];
  /** Keyword arguments of the install call, given the settings expression and field names. */
  installArguments: (settings: string, field: (name: string) => string) => string[];
  /** Packages the snippets import, as named in the table of dependency versions. */
  packages: string[];
  /** Returns where the project already has an equivalent of the feature, or null. */
  findEquivalent?: (project: Project) => Promise<string | null>;
}

/** The package that `add` puts building blocks in: `core` inside the application's package. */
export interface SecurityPackage {
  folder: string;
  module: string;
}

const PROJECT_SETTINGS_SNIPPET = "app-settings";

export async function locateApp(project: Project): Promise<AppSite> {
  const apps = await findApps(project);
  if (apps.length === 0) {
    throw new CliError("No FastAPI application found: no `name = FastAPI(...)` statement outside the tests.", {
      hint: "Run the command in the project's root folder; nothing was written.",
    });
  }
  if (apps.length > 1) {
    const places = apps.map((app) => `${app.module.path} (${app.name})`).join(", ");
    throw new CliError(
      `Found ${apps.length} FastAPI applications, in ${places}, so it is unclear which one to change.`,
      {
        hint: "Keep one `FastAPI(...)` call outside the tests, or make the change by hand; nothing was written.",
      },
    );
  }
  return apps[0] as AppSite;
}

/** Choose the security package for an application: `<package>/core`, or `core` beside a top-level module. */
export async function securityPackage(project: Project, app: AppSite): Promise<SecurityPackage> {
  const root = await project.importRoot(app.module.path);
  const parts = app.moduleName.split(".");
  const packageParts = parts.length > 1 ? [parts[0] as string, "core"] : ["core"];
  const folder = path.posix.join(root, ...packageParts);
  if (await project.exists(`${folder}.py`)) {
    throw new CliError(`Cannot create the package ${folder}/: the module ${folder}.py has its name.`, {
      hint: "Rename that module, or make the change by hand; nothing was written.",
    });
  }
  return { folder, module: packageParts.join(".") };
}

function snippetModule(snippet: Snippet): string {
  return (snippet.module ?? "").replace(/\.py$/, "");
}

/** Stage one snippet module in the security package, unless an earlier `add` already wrote it. */
async function placeSnippet(project: Project, plan: AddPlan, snippet: Snippet, target: SecurityPackage): Promise<void> {
  const file = `${target.folder}/${snippet.module ?? ""}`;
  if (await project.exists(file)) {
    const recorded = project.state?.files.some((entry) => entry.path === file && entry.snippet === snippet.id);
    if (recorded) return;
    throw new CliError(`Cannot write ${file}: the file exists and was not written by secure-fastapi.`, {
      hint: "Rename or move that file, then run the command again; nothing was written.",
    });
  }
  const content = await renderSnippet(snippet, {});
  project.stage(file, content);
  plan.managed.push({ path: file, snippet: snippet.id, version: snippet.version, content });
}

async function ensurePackage(project: Project, target: SecurityPackage): Promise<void> {
  const marker = `${target.folder}/__init__.py`;
  const files = await project.listFiles();
  const folderExists = files.some((file) => file.startsWith(`${target.folder}/`));
  if (!folderExists) project.stage(marker, "");
}

/**
 * Choose the settings class to extend: the only one, the one the application
 * reaches, or a new one from the app-settings snippet when there is none.
 */
async function chooseSettings(
  project: Project,
  plan: AddPlan,
  app: AppSite,
  target: SecurityPackage,
  catalog: readonly Snippet[],
): Promise<SettingsClass> {
  const classes = await findSettingsClasses(project);
  if (classes.length === 1) return classes[0] as SettingsClass;
  if (classes.length > 1) {
    const reachable = classes.filter((item) => findSettingsAccess(app, item) !== null);
    if (reachable.length === 1) return reachable[0] as SettingsClass;
    const places = classes.map((item) => `${item.module.path} (${item.name})`).join(", ");
    throw new CliError(
      `Found ${classes.length} settings classes, in ${places}, so it is unclear which one to extend.`,
      {
        hint: "Make the change by hand, or keep one BaseSettings subclass; nothing was written.",
      },
    );
  }
  await placeSnippet(project, plan, findSnippet(catalog, PROJECT_SETTINGS_SNIPPET), target);
  const created = await findSettingsClasses(project);
  if (created.length !== 1) throw new Error("the app-settings snippet must define exactly one settings class");
  return created[0] as SettingsClass;
}

export function findSnippet(catalog: readonly Snippet[], id: string): Snippet {
  const snippet = catalog.find((item) => item.id === id);
  if (!snippet) throw new Error(`Snippet ${id} is missing from the catalog.`);
  return snippet;
}

function stageEdits(project: Project, file: string, text: string, edits: readonly TextEdit[]): void {
  if (edits.length > 0) project.stage(file, applyEdits(text, edits));
}

/**
 * Stage `from module import names` in a file, one import at a time on the
 * freshly parsed text, so that each import is placed relative to the ones before it.
 */
export async function addImports(
  project: Project,
  file: string,
  imports: readonly { module: string; names: string[] }[],
): Promise<void> {
  const firstParty = await project.firstPartyNames();
  for (const item of imports) {
    const module = await project.module(file);
    stageEdits(project, file, module.text, ensureFromImport(module, item.module, item.names, firstParty));
  }
}

/** Declare the feature's fields in the settings class and import their types. */
async function addFields(
  project: Project,
  kit: Kit,
  settings: SettingsClass,
  target: SecurityPackage,
  typesModule: string,
): Promise<void> {
  const declared = new Set(settings.fields.map((name) => name.toLowerCase()));
  const clashes = kit.fields.filter((field) => declared.has(field.name.toLowerCase()));
  if (clashes.length > 0) {
    const names = clashes.map((field) => fieldNameFor(settings, field.name)).join(", ");
    throw new CliError(`The settings class ${settings.name} in ${settings.module.path} already declares ${names}.`, {
      hint: "Remove or rename that field, or wire the feature by hand; nothing was written.",
    });
  }
  const fields = kit.fields.map((field) => ({ ...field, name: fieldNameFor(settings, field.name) }));
  stageEdits(project, settings.module.path, settings.module.text, [insertFields(settings, fields)]);
  const typeNames = [...new Set(kit.fields.map((field) => field.annotation))].filter(
    (name) => !BUILTIN_TYPES.has(name),
  );
  if (typeNames.length > 0)
    await addImports(project, settings.module.path, [{ module: `${target.module}.${typesModule}`, names: typeNames }]);
}

const BUILTIN_TYPES = new Set(["bool", "int", "str", "float"]);

/** Import the install function and call it right after the application is created. */
async function addInstallCall(
  project: Project,
  kit: Kit,
  app: AppSite,
  access: SettingsAccess,
  settings: SettingsClass,
  target: SecurityPackage,
  installModule: string,
): Promise<void> {
  const field = (name: string): string => fieldNameFor(settings, name);
  const args = [app.name, ...kit.installArguments(access.expression, field)];
  const lines = formatCall(kit.installFunction, args, appIndentWidth(app));
  stageEdits(project, app.module.path, app.module.text, [insertAfterApp(app, lines)]);
  const imports = [{ module: `${target.module}.${installModule}`, names: [kit.installFunction] }];
  if (access.import) imports.push({ module: access.import.module, names: [access.import.name] });
  await addImports(project, app.module.path, imports);
}

/**
 * Plan a feature on a project that this tool did not generate. Changes are
 * staged on the project; anything that cannot be placed safely throws a
 * CliError before the caller writes a file.
 */
export async function planKit(
  project: Project,
  kit: Kit,
  catalog: readonly Snippet[],
  featureName: string,
): Promise<AddPlan> {
  const app = await locateApp(project);
  const installed = callsFunction(app.module, kit.installFunction);
  if (installed) {
    return presentPlan(project, `${featureName} is already set up: ${app.module.path} calls ${kit.installFunction}.`);
  }
  const equivalent = await kit.findEquivalent?.(project);
  if (equivalent)
    return presentPlan(project, `${featureName} looks set up already: ${equivalent}. Nothing was changed.`);

  const plan = emptyPlan(project);
  const target = await securityPackage(project, app);
  await ensurePackage(project, target);
  for (const id of kit.snippets) await placeSnippet(project, plan, findSnippet(catalog, id), target);

  const installModule = snippetModule(findSnippet(catalog, kit.installSnippet));
  const settings = await chooseSettings(project, plan, app, target, catalog);
  await addFields(project, kit, settings, target, installModule);

  // Both edits may touch the same module, so the application is found again in the edited text.
  const [freshApp] = (await findApps(project)).filter((site) => site.module.path === app.module.path);
  const [freshSettings] = (await findSettingsClasses(project)).filter(
    (item) => item.module.path === settings.module.path && item.name === settings.name,
  );
  if (!freshApp || !freshSettings) throw new Error("the application or settings class disappeared after editing");

  const access = findSettingsAccess(freshApp, freshSettings);
  if (access === null) {
    const field = (name: string): string => fieldNameFor(freshSettings, name);
    const call = formatCall(kit.installFunction, [app.name, ...kit.installArguments("settings", field)], 0);
    plan.manual.push({
      file: app.module.path,
      where: `after \`${app.name} = FastAPI(...)\``,
      lines: [`from ${target.module}.${installModule} import ${kit.installFunction}`, "", ...call].join("\n"),
      reason: `no instance of ${settings.name} is visible there, so replace \`settings\` with yours`,
    });
  } else {
    await addInstallCall(project, kit, freshApp, access, freshSettings, target, installModule);
  }

  const packages = [...kit.packages, "pydantic-settings"];
  const requirements = packages.map(requirementFor);
  const file = await addRequirements(project, requirements);
  if (file === null) plan.notes.push(`Add these requirements to your dependencies: ${requirements.join(", ")}.`);
  return plan;
}
