import { descendants, type SyntaxNode } from "../parse/syntax.js";
import { positionalArguments, unwrap, type FileContext } from "../analysis/context.js";
import { endsWithName } from "../analysis/names.js";
import { describeAnnotation, isRequestType } from "../analysis/routes.js";
import type { Rule } from "../types.js";
import { excerpt } from "./common.js";

/**
 * SFA001. A body read with `await request.json()` skips Pydantic validation,
 * so wrong types and extra fields reach the handler and malformed JSON
 * becomes a 500. Flags `.json()` and `json.loads(await request.body())` on a
 * parameter annotated `Request` (FastAPI or Starlette) in route handlers,
 * dependencies (functions named in `Depends(...)` or taking a `Depends`
 * parameter) and other module-level functions. Does not flag nested
 * functions and methods that are none of those, because that is where
 * frameworks and middleware read bodies. Does not flag a body validated with
 * Pydantic: passed straight to `Model.model_validate(...)`,
 * `TypeAdapter(X).validate_python(...)`, `Model.parse_obj(...)` or
 * `parse_obj_as(X, ...)`, or assigned to a name whose every later use is
 * such an argument. Does not flag `request.form()`, raw bytes read for
 * signature checks (webhooks), or `.json()` on HTTP client responses.
 */
export const requestBodyRule: Rule = {
  id: "SFA001",
  title: "Request body read without validation",
  cwe: "CWE-20",
  severity: "medium",
  description:
    "A request body read with `await request.json()` bypasses Pydantic validation: unexpected types, extra fields and oversized values reach the handler, and malformed input becomes a 500 error.",
  hint: "Declare the body as a Pydantic model parameter (for example `item: ItemCreate`), with `extra=\"forbid\"` and bounds on every field.",
  check(file, report) {
    const dependencies = dependencyFunctionNames(file);
    for (const call of file.nodes("call")) {
      const request = requestOfJsonCall(file, call);
      if (request && inApplicationFunction(file, call, dependencies) && !isValidated(file, call)) {
        report(call, `\`${excerpt(call)}\` reads the body of \`${request}\` without a Pydantic model`);
      }
    }
  },
};

/** Names passed to `Depends(...)` or `Security(...)` in this file. */
function dependencyFunctionNames(file: FileContext): Set<string> {
  const names = new Set<string>();
  for (const call of file.nodes("call")) {
    const callee = file.calleeName(call);
    if (!endsWithName(callee, "Depends") && !endsWithName(callee, "Security")) continue;
    const target = positionalArguments(call)[0];
    if (target?.type === "identifier") names.add(target.text);
  }
  return names;
}

/**
 * True inside route handlers and dependencies (and functions nested in them),
 * and in module-level functions.
 */
function inApplicationFunction(file: FileContext, node: SyntaxNode, dependencies: Set<string>): boolean {
  const innermost = file.enclosingFunction(node);
  if (!innermost) return true;
  for (let fn: SyntaxNode | null = innermost; fn; fn = file.enclosingFunction(fn)) {
    if (isRouteOrDependency(file, fn, dependencies)) return true;
  }
  const parent = innermost.parent?.type === "decorated_definition" ? innermost.parent.parent : innermost.parent;
  return parent?.type === "module";
}

function isRouteOrDependency(file: FileContext, fn: SyntaxNode, dependencies: Set<string>): boolean {
  const name = fn.child("name")?.text ?? "";
  if (dependencies.has(name) || file.routes.some((route) => route.fn === fn)) return true;
  const parameters = fn.child("parameters")?.text ?? "";
  return /\b(Depends|Security)\(/.test(parameters);
}

/** Return the name of the `Request` parameter that `call` reads JSON from, or null. */
function requestOfJsonCall(file: FileContext, call: SyntaxNode): string | null {
  const callee = call.child("function");
  if (callee?.type !== "attribute") return null;
  const method = callee.child("attribute")?.text;
  const object = callee.child("object");
  if (method === "json" && object) return requestParameter(file, object);
  if (method !== "loads" || file.qualified(callee) !== "json.loads") return null;
  const argument = positionalArguments(call)[0];
  const read = argument ? unwrapAwait(argument) : null;
  const readCallee = read?.type === "call" ? read.child("function") : null;
  if (readCallee?.type !== "attribute" || readCallee.child("attribute")?.text !== "body") return null;
  const readObject = readCallee.child("object");
  return readObject ? requestParameter(file, readObject) : null;
}

function unwrapAwait(node: SyntaxNode): SyntaxNode {
  const inner = unwrap(node);
  return inner.type === "await" && inner.firstNamed ? unwrap(inner.firstNamed) : inner;
}

/** `name` when `node` is a parameter annotated with FastAPI's or Starlette's `Request`. */
function requestParameter(file: FileContext, node: SyntaxNode): string | null {
  if (node.type !== "identifier") return null;
  // Cheap test first: most `.json()` calls are on HTTP client responses.
  let mentionsRequest = false;
  for (let fn = file.enclosingFunction(node); fn && !mentionsRequest; fn = file.enclosingFunction(fn)) {
    mentionsRequest = fn.child("parameters")?.text.includes("Request") ?? false;
  }
  if (!mentionsRequest) return null;
  const binding = file.bindingOf(node);
  if (binding?.kind !== "parameter") return null;
  const type = binding.node.child("type");
  if (!type) return null;
  const base = describeAnnotation(file, type, 0).baseType;
  return isRequestType(file, base) ? node.text : null;
}

/** Pydantic methods that validate the object passed as their first argument. */
const VALIDATE_METHODS = new Set(["model_validate", "validate_python", "parse_obj"]);

/**
 * True when the body that `read` returns goes only to a Pydantic validator:
 * `Item.model_validate(await request.json())`, or `data = await request.json()`
 * where every later use of `data` is a validator's argument. A name that is
 * never used again is not validated.
 */
function isValidated(file: FileContext, read: SyntaxNode): boolean {
  const value = outermostValue(read);
  if (isValidatorArgument(file, value)) return true;
  const assignment = value.parent;
  if (assignment?.type !== "assignment" || assignment.child("right") !== value) return false;
  const target = assignment.child("left");
  if (target?.type !== "identifier") return false;
  const uses = usesOf(file, target, assignment);
  return uses.length > 0 && uses.every((use) => isValidatorArgument(file, use));
}

/** Climb from a call through `await` and parentheses to the whole expression. */
function outermostValue(node: SyntaxNode): SyntaxNode {
  let current = node;
  while (current.parent?.type === "await" || current.parent?.type === "parenthesized_expression") {
    current = current.parent;
  }
  return current;
}

/** True for the validated argument of a validator: the first positional or `obj=`, or the second of `parse_obj_as`. */
function isValidatorArgument(file: FileContext, node: SyntaxNode): boolean {
  const value = outermostValue(node);
  const keyword = value.parent?.type === "keyword_argument" ? value.parent : null;
  const call = (keyword ?? value).parent?.parent;
  if (call?.type !== "call") return false;
  const callee = call.child("function");
  if (endsWithName(file.calleeName(call), "parse_obj_as")) {
    return positionalArguments(call)[1] === value;
  }
  if (callee?.type !== "attribute" || !VALIDATE_METHODS.has(callee.child("attribute")?.text ?? "")) return false;
  if (keyword) return keyword.child("name")?.text === "obj";
  return positionalArguments(call)[0] === value;
}

/** Reads of the name that `assignment` binds, in its function or module, nested functions included. */
function usesOf(file: FileContext, target: SyntaxNode, assignment: SyntaxNode): SyntaxNode[] {
  const scope = file.enclosingFunction(assignment)?.child("body") ?? file.root;
  const uses: SyntaxNode[] = [];
  for (const node of descendants(scope)) {
    if (node.type !== "identifier" || node === target || node.text !== target.text) continue;
    if (node.field === "attribute" || (node.parent?.type === "keyword_argument" && node.field === "name")) continue;
    if (file.bindingOf(node)?.node === assignment) uses.push(node);
  }
  return uses;
}
