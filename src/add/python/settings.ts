import type { Project } from "../project.js";
import { isTestPath } from "../project.js";
import type { AppSite } from "./app.js";
import { importBindings, localNamesFor } from "./imports.js";
import {
  dottedName,
  expressionOf,
  indentAt,
  insertLinesAfter,
  lineStart,
  statements,
  type PythonModule,
  type SyntaxNode,
  type TextEdit,
} from "./source.js";

/** A pydantic-settings class of the project: `class Name(BaseSettings)`. */
export interface SettingsClass {
  module: PythonModule;
  moduleName: string;
  node: SyntaxNode;
  name: string;
  /** Names of the fields declared in the class body. */
  fields: string[];
}

const BASE_SETTINGS = new Set(["pydantic_settings.BaseSettings", "pydantic_settings.main.BaseSettings"]);

function classFields(node: SyntaxNode): { names: string[]; statements: SyntaxNode[] } {
  const body = node.child("body");
  const fieldStatements = (body ? statements(body) : []).filter((statement) => {
    const assignment = expressionOf(statement);
    return (
      assignment?.type === "assignment" &&
      assignment.child("type") !== null &&
      assignment.child("left")?.type === "identifier"
    );
  });
  const names = fieldStatements.map((statement) => expressionOf(statement)?.child("left")?.text ?? "");
  return { names, statements: fieldStatements };
}

/** Top-level classes outside tests that subclass pydantic-settings' BaseSettings directly. */
export async function findSettingsClasses(project: Project): Promise<SettingsClass[]> {
  const found: SettingsClass[] = [];
  for (const file of await project.pythonFiles()) {
    if (isTestPath(file)) continue;
    const text = await project.read(file);
    if (text === null || !text.includes("BaseSettings")) continue;
    const module = await project.module(file);
    const bindings = importBindings(module);
    for (const statement of statements(module.root)) {
      if (statement.type !== "class_definition") continue;
      const bases = statement.child("superclasses")?.namedChildren ?? [];
      const isSettings = bases.some((base) => {
        const name = dottedName(base);
        if (name === null) return false;
        const [head, ...rest] = name.split(".");
        return BASE_SETTINGS.has([bindings.get(head ?? "") ?? head, ...rest].join("."));
      });
      if (!isSettings) continue;
      found.push({
        module,
        moduleName: await project.moduleName(file),
        node: statement,
        name: statement.child("name")?.text ?? "",
        fields: classFields(statement).names,
      });
    }
  }
  return found;
}

/**
 * Choose the field name for `upperName` in this class: lower case when every
 * field the class declares is lower case, as in `app_name: str`, else as given.
 */
export function fieldNameFor(settings: SettingsClass, upperName: string): string {
  const declared = settings.fields.filter((name) => name !== "model_config");
  const lowercase = declared.length > 0 && declared.every((name) => name === name.toLowerCase());
  return lowercase ? upperName.toLowerCase() : upperName;
}

export interface SettingsField {
  name: string;
  annotation: string;
  /** Python expression of the default; undefined for a required field. */
  defaultValue?: string;
}

/**
 * Build the edit that declares the fields after the class's last field, or
 * after its docstring and `model_config` when it has no fields yet.
 */
export function insertFields(settings: SettingsClass, fields: readonly SettingsField[]): TextEdit {
  const lines = fields.map((field) => {
    const declaration = `${field.name}: ${field.annotation}`;
    return field.defaultValue === undefined ? declaration : `${declaration} = ${field.defaultValue}`;
  });
  const { text } = settings.module;
  const body = settings.node.child("body") as SyntaxNode;
  const { statements: fieldStatements } = classFields(settings.node);
  const lastField = fieldStatements[fieldStatements.length - 1];
  if (lastField) return insertLinesAfter(text, lastField, lines);
  const bodyStatements = statements(body);
  const leading = bodyStatements.filter((statement, index) => {
    const expression = expressionOf(statement);
    const isDocstring = index === 0 && expression?.type === "string";
    const isConfig = expression?.type === "assignment" && expression.child("left")?.text === "model_config";
    return isDocstring || isConfig;
  });
  const anchor = leading[leading.length - 1];
  if (anchor) return insertLinesAfter(text, anchor, ["", ...lines]);
  const first = bodyStatements[0] as SyntaxNode;
  const indent = indentAt(text, first.start);
  return { offset: lineStart(text, first.start), text: `${lines.map((line) => `${indent}${line}\n`).join("")}\n` };
}

/** The application module's access to the settings: an expression, and any import it needs first. */
export interface SettingsAccess {
  /** Python expression for the settings object, such as `settings` or `get_settings()`. */
  expression: string;
  import?: { module: string; name: string };
}

/**
 * Map module-level `name = Class(...)` and `name = getter()` assignments to
 * their callee, taking only statements that start before `before`.
 */
function moduleAssignments(module: PythonModule, before = Number.POSITIVE_INFINITY): Map<string, string> {
  const found = new Map<string, string>();
  for (const statement of statements(module.root)) {
    if (statement.start >= before) break;
    const assignment = expressionOf(statement);
    if (assignment?.type !== "assignment") continue;
    const left = assignment.child("left");
    const right = assignment.child("right");
    const callee = right?.type === "call" ? dottedName(right.child("function")) : null;
    if (left?.type === "identifier" && callee !== null) found.set(left.text, callee);
  }
  return found;
}

/**
 * List the functions of the settings module annotated to return the class,
 * such as `get_settings`, defined before the offset `before`.
 */
function getterNames(settings: SettingsClass, before = Number.POSITIVE_INFINITY): string[] {
  return statements(settings.module.root)
    .filter((statement) => statement.start < before)
    .map((statement) => (statement.type === "decorated_definition" ? statement.child("definition") : statement))
    .filter((node): node is SyntaxNode => node?.type === "function_definition")
    .filter(
      (node) =>
        node.child("return_type")?.text === settings.name && node.child("parameters")?.namedChildren.length === 0,
    )
    .map((node) => node.child("name")?.text ?? "");
}

/** List the module-level names of the settings module that contain an instance of the class. */
function instanceNames(settings: SettingsClass): string[] {
  const getters = new Set(getterNames(settings));
  return [...moduleAssignments(settings.module)]
    .filter(([, callee]) => callee === settings.name || getters.has(callee))
    .map(([name]) => name);
}

/**
 * Find how the application's module can read the settings: a parameter or
 * local variable of the factory that creates the application, a module-level
 * instance, or an instance or getter that can be imported from the settings
 * module. Only names that exist before the application's statement count,
 * because the install call goes right after it. Returns null when none is
 * visible.
 */
export function findSettingsAccess(app: AppSite, settings: SettingsClass): SettingsAccess | null {
  const sameModule = app.module.path === settings.module.path;
  const before = app.statement.start;
  const localName = (name: string): string[] =>
    sameModule ? [name] : localNamesFor(app.module, settings.moduleName, name);
  const classNames = new Set(localName(settings.name));
  const getters = new Set(getterNames(settings, sameModule ? before : undefined).flatMap(localName));
  const isSettingsCall = (callee: string | null): boolean =>
    callee !== null && (classNames.has(callee) || getters.has(callee));

  if (app.scope.type === "function_definition") {
    const local = findInFunction(app, classNames, isSettingsCall);
    if (local) return { expression: local };
  }
  for (const [name, callee] of moduleAssignments(app.module, before)) {
    if (isSettingsCall(callee)) return { expression: name };
  }
  const [existingGetter] = getters;
  if (sameModule) return existingGetter ? { expression: `${existingGetter}()` } : null;

  for (const name of instanceNames(settings)) {
    const imported = localName(name)[0];
    if (imported) return { expression: imported };
  }
  const bound = importBindings(app.module);
  const assigned = moduleAssignments(app.module);
  const instance = instanceNames(settings).find((name) => !bound.has(name) && !assigned.has(name));
  if (instance) return { expression: instance, import: { module: settings.moduleName, name: instance } };
  const getter = getterNames(settings)[0];
  if (getter && !bound.has(getter))
    return { expression: `${getter}()`, import: { module: settings.moduleName, name: getter } };
  return existingGetter ? { expression: `${existingGetter}()` } : null;
}

/** Find a parameter annotated with the class, or a local assigned from it, before the application is created. */
function findInFunction(
  app: AppSite,
  classNames: Set<string>,
  isSettingsCall: (callee: string | null) => boolean,
): string | null {
  const parameters = app.scope.child("parameters")?.namedChildren ?? [];
  for (const parameter of parameters) {
    const type = parameter.child("type")?.text ?? "";
    const name = parameter.child("name")?.text ?? parameter.firstNamed?.text ?? "";
    const mentioned = type.split(/[^A-Za-z0-9_.]+/).some((part) => classNames.has(part));
    if (mentioned && /^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) return name;
  }
  const body = app.scope.child("body");
  for (const statement of body ? statements(body) : []) {
    if (statement.start >= app.statement.start) break;
    const assignment = expressionOf(statement);
    if (assignment?.type !== "assignment") continue;
    const left = assignment.child("left");
    const right = assignment.child("right");
    const callee = right?.type === "call" ? dottedName(right.child("function")) : null;
    if (left?.type === "identifier" && isSettingsCall(callee)) return left.text;
  }
  return null;
}
