import type { Project } from "../project.js";
import { isTestPath } from "../project.js";
import { importBindings } from "./imports.js";
import type { NamedModule } from "./modules.js";
import { dottedName, expressionOf, statements, type PythonModule, type SyntaxNode } from "./source.js";

/** A name defined at the top level of a module, with the module's dotted name. */
export interface ModuleName {
  moduleName: string;
  name: string;
}

const DECLARATIVE_BASES = new Set(["sqlalchemy.orm.DeclarativeBase", "sqlalchemy.orm.decl_api.DeclarativeBase"]);
const DECLARATIVE_FACTORIES = new Set([
  "sqlalchemy.orm.declarative_base",
  "sqlalchemy.ext.declarative.declarative_base",
]);
const SESSION_TYPES = new Set(["sqlalchemy.orm.Session", "sqlalchemy.orm.session.Session"]);

/** Resolve the first part of a dotted name through the module's import bindings (`sa.String` → `sqlalchemy.String`). */
export function resolve(name: string | null, bindings: Map<string, string>): string | null {
  if (name === null) return null;
  const [head, ...rest] = name.split(".");
  return [bindings.get(head ?? "") ?? head, ...rest].join(".");
}

/** List the non-test modules of the project that mention SQLAlchemy. */
export async function projectModules(project: Project): Promise<NamedModule[]> {
  const modules: NamedModule[] = [];
  for (const file of await project.pythonFiles()) {
    if (isTestPath(file)) continue;
    const text = await project.read(file);
    if (text === null || !text.includes("sqlalchemy")) continue;
    modules.push({ module: await project.module(file), moduleName: await project.moduleName(file) });
  }
  return modules;
}

/** A declarative base, with the module that defines it and its class or assignment statement. */
export interface DeclarativeBaseDefinition extends ModuleName, NamedModule {
  statement: SyntaxNode;
}

/** Find the declarative base classes: `class Base(DeclarativeBase)` or `Base = declarative_base()`. */
export async function findDeclarativeBases(project: Project): Promise<DeclarativeBaseDefinition[]> {
  const found: DeclarativeBaseDefinition[] = [];
  for (const { module, moduleName } of await projectModules(project)) {
    const bindings = importBindings(module);
    for (const statement of statements(module.root)) {
      if (statement.type === "class_definition") {
        const bases = statement.child("superclasses")?.namedChildren ?? [];
        if (bases.some((base) => DECLARATIVE_BASES.has(resolve(dottedName(base), bindings) ?? ""))) {
          found.push({ module, moduleName, name: statement.child("name")?.text ?? "", statement });
        }
        continue;
      }
      const assignment = expressionOf(statement);
      const right = assignment?.type === "assignment" ? assignment.child("right") : null;
      const left = assignment?.child("left");
      if (
        right?.type === "call" &&
        left?.type === "identifier" &&
        DECLARATIVE_FACTORIES.has(resolve(dottedName(right.child("function")), bindings) ?? "")
      ) {
        found.push({ module, moduleName, name: left.text, statement });
      }
    }
  }
  return found;
}

/** A dependency that yields a database session: an `Annotated[Session, Depends(...)]` alias or the function itself. */
export interface SessionDependency extends ModuleName {
  kind: "alias" | "function";
}

function isSessionAlias(statement: SyntaxNode, bindings: Map<string, string>): string | null {
  const assignment = expressionOf(statement);
  const left = assignment?.type === "assignment" ? assignment.child("left") : null;
  const right = assignment?.child("right");
  if (left?.type !== "identifier" || right?.type !== "subscript") return null;
  if (resolve(dottedName(right.child("value")), bindings) !== "typing.Annotated") return null;
  const [first, second] = right.childrenOf("subscript");
  const depends = second?.type === "call" ? resolve(dottedName(second.child("function")), bindings) : null;
  const isSession = SESSION_TYPES.has(resolve(dottedName(first ?? null), bindings) ?? "");
  return isSession && depends === "fastapi.Depends" ? left.text : null;
}

function isSessionFunction(statement: SyntaxNode, bindings: Map<string, string>): string | null {
  if (statement.type !== "function_definition") return null;
  const returnType = statement.child("return_type")?.text ?? "";
  const session = /^(?:Iterator|Generator|collections\.abc\.Iterator|typing\.Iterator)\[\s*([\w.]+)/.exec(
    returnType,
  )?.[1];
  return session && SESSION_TYPES.has(resolve(session, bindings) ?? "")
    ? (statement.child("name")?.text ?? null)
    : null;
}

/** Find the dependencies that yield a session, aliases first. */
export async function findSessionDependencies(project: Project): Promise<SessionDependency[]> {
  const aliases: SessionDependency[] = [];
  const functions: SessionDependency[] = [];
  for (const { module, moduleName } of await projectModules(project)) {
    const bindings = importBindings(module);
    for (const statement of statements(module.root)) {
      const alias = isSessionAlias(statement, bindings);
      if (alias) aliases.push({ moduleName, name: alias, kind: "alias" });
      const fn = isSessionFunction(statement, bindings);
      if (fn) functions.push({ moduleName, name: fn, kind: "function" });
    }
  }
  return aliases.length > 0 ? aliases : functions;
}
