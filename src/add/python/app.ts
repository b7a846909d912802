import type { Project } from "../project.js";
import { isTestPath } from "../project.js";
import { importBindings } from "./imports.js";
import {
  dottedName,
  expressionOf,
  indentAt,
  insertLinesAfter,
  statements,
  walk,
  type PythonModule,
  type SyntaxNode,
  type TextEdit,
} from "./source.js";

/** The statement that creates a project's FastAPI application: `name = FastAPI(...)`. */
export interface AppSite {
  module: PythonModule;
  /** Dotted module name, such as `app.main`. */
  moduleName: string;
  /** The statement that assigns the application. */
  statement: SyntaxNode;
  /** The variable that the application is assigned to. */
  name: string;
  /** The module, or the function (an application factory) that contains the statement. */
  scope: SyntaxNode;
}

/** Check whether a call's callee is fastapi.FastAPI, resolved through the module's imports. */
function callsFastApi(call: SyntaxNode, bindings: Map<string, string>): boolean {
  const callee = dottedName(call.child("function"));
  if (callee === null) return false;
  const [head, ...rest] = callee.split(".");
  const resolved = [bindings.get(head ?? "") ?? head, ...rest].join(".");
  return resolved === "fastapi.FastAPI" || resolved === "fastapi.applications.FastAPI";
}

function enclosingScope(node: SyntaxNode): SyntaxNode {
  let current = node.parent;
  while (current && current.type !== "function_definition" && current.type !== "module") current = current.parent;
  return current ?? node;
}

/** Find every `name = FastAPI(...)` assignment in the project's modules outside tests. */
export async function findApps(project: Project): Promise<AppSite[]> {
  const sites: AppSite[] = [];
  for (const file of await project.pythonFiles()) {
    if (isTestPath(file)) continue;
    const text = await project.read(file);
    if (text === null || !text.includes("FastAPI")) continue;
    const module = await project.module(file);
    const bindings = importBindings(module);
    for (const node of walk(module.root)) {
      if (node.type !== "assignment") continue;
      const left = node.child("left");
      const right = node.child("right");
      if (left?.type !== "identifier" || right?.type !== "call" || !callsFastApi(right, bindings)) continue;
      const statement = node.parent;
      if (statement?.type !== "expression_statement") continue;
      const scope = enclosingScope(statement);
      const parentBlock = statement.parent;
      // Only statements directly in the module or the function body, not in branches.
      if (parentBlock !== scope && parentBlock !== scope.child("body")) continue;
      sites.push({ module, moduleName: await project.moduleName(file), statement, name: left.text, scope });
    }
  }
  return sites;
}

/** Whether the module calls a function of this name (bare or as an attribute). */
export function callsFunction(module: PythonModule, name: string): SyntaxNode | null {
  for (const node of walk(module.root)) {
    if (node.type !== "call") continue;
    const callee = dottedName(node.child("function"));
    if (callee === name || callee?.endsWith(`.${name}`)) return node;
  }
  return null;
}

/** Names of the functions that `add` inserts calls to right after the application is created. */
const INSTALL_CALL = /^install_[a-z_]+$/;

/**
 * Build the edit that inserts lines right after the statement that creates
 * the application, after any install_* calls an earlier `add` put there, so
 * that they run in the order they were added.
 */
export function insertAfterApp(app: AppSite, lines: readonly string[]): TextEdit {
  const block = app.statement.parent as SyntaxNode;
  const siblings = statements(block);
  let anchor = app.statement;
  for (const statement of siblings.slice(siblings.indexOf(app.statement) + 1)) {
    const call = expressionOf(statement);
    const callee = call?.type === "call" ? dottedName(call.child("function")) : null;
    if (callee === null || !INSTALL_CALL.test(callee)) break;
    anchor = statement;
  }
  return insertLinesAfter(app.module.text, anchor, lines);
}

/** Width of the indentation of the application's statement. */
export function appIndentWidth(app: AppSite): number {
  return indentAt(app.module.text, app.statement.start).length;
}
