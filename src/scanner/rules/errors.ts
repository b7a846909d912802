import { descendants, type SyntaxNode } from "../parse/syntax.js";
import { argumentAt, positionalArguments, unwrap, type FileContext } from "../analysis/context.js";
import { dottedName, endsWithName } from "../analysis/names.js";
import { returnValues } from "../analysis/flow.js";
import { constantBoolean, keywordOptions } from "../analysis/values.js";
import type { Rule } from "../types.js";
import { excerpt } from "./common.js";

/**
 * SFA008. `FastAPI(debug=True)` returns full tracebacks, with file paths,
 * library versions and local code, to any client that triggers an error.
 * Flags `FastAPI(...)` and `Starlette(...)` with `debug` set to a constant
 * `True` (directly, through a module constant or in a `**` dict literal)
 * and `app.debug = True`.
 * Does not flag `debug=settings.DEBUG` or any other value read at run time.
 */
export const debugModeRule: Rule = {
  id: "SFA008",
  title: "Debug mode enabled",
  cwe: "CWE-209",
  relatedCwes: ["CWE-215"],
  severity: "medium",
  description: "An application created with `debug=True` sends stack traces, file paths and source lines to clients on every unhandled error.",
  hint: "Drive `debug` from settings that default to `False`, and log errors server-side instead.",
  check(file, report) {
    for (const call of file.nodes("call")) {
      const callee = file.calleeName(call);
      if (!endsWithName(callee, "FastAPI") && !endsWithName(callee, "Starlette")) continue;
      const debug = keywordOptions(file, call).get("debug");
      if (debug && constantBoolean(file, debug.value) === true) {
        report(debug.node, `\`${excerpt(call)}\` enables debug mode`);
      }
    }
    for (const assignment of file.nodes("assignment")) {
      const left = assignment.child("left");
      const right = assignment.child("right");
      if (left?.type !== "attribute" || left.child("attribute")?.text !== "debug" || !right) continue;
      const owner = left.child("object");
      if (owner && isApplication(file, owner) && constantBoolean(file, right) === true) {
        report(assignment, `\`${excerpt(assignment)}\` enables debug mode`);
      }
    }
  },
};

function isApplication(file: FileContext, node: SyntaxNode): boolean {
  const value = file.resolve(node);
  if (value.type !== "call") return false;
  const callee = file.calleeName(value);
  return endsWithName(callee, "FastAPI") || endsWithName(callee, "Starlette");
}

const BROAD_EXCEPTIONS = new Set(["Exception", "BaseException", "builtins.Exception"]);
const TRACEBACK_CALLS = /^traceback\.(format_exc|format_exception|format_tb|format_stack|print_exc)$/;
const RESPONSE_CLASSES = ["JSONResponse", "PlainTextResponse", "HTMLResponse", "ORJSONResponse", "UJSONResponse", "Response"];

/**
 * SFA017. Sending `str(exc)` or a traceback to the client leaks internals:
 * SQL fragments, file paths, hostnames and library versions. Flags
 * `str(e)`, `repr(e)`, `f"{e}"`, `e.args` and `traceback.format_*()` inside
 * `HTTPException(detail=...)`, a response's `content`, or a value returned
 * by a route or exception handler, when `e` comes from `except Exception`,
 * `except BaseException`, a bare `except`, or an exception handler
 * registered for `Exception`. Tracebacks are flagged whatever was caught.
 * Does not flag messages of specific exceptions (`except ValueError as e`),
 * which applications raise with messages meant for clients, or exceptions
 * that are only logged.
 */
export const exceptionDetailRule: Rule = {
  id: "SFA017",
  title: "Exception details sent to the client",
  cwe: "CWE-209",
  relatedCwes: ["CWE-497"],
  severity: "medium",
  description:
    "Returning `str(exc)` or a traceback from a broad exception handler sends internal details (SQL, file paths, hostnames, library versions) to clients.",
  hint: "Log the exception with `logger.exception(...)` and return a generic message with an error id.",
  check(file, report) {
    const broad = broadExceptionNames(file);
    const reported = new Set<SyntaxNode>();
    for (const sink of responseSinks(file)) {
      const leak = findLeak(file, sink, broad);
      if (!leak || reported.has(leak)) continue;
      reported.add(leak);
      report(leak, `\`${excerpt(leak)}\` is sent to the client in \`${excerpt(sink, 40)}\``);
    }
  },
};

/** Identifiers bound to broadly caught exceptions, keyed by their binding node. */
function broadExceptionNames(file: FileContext): Set<SyntaxNode> {
  const bindings = new Set<SyntaxNode>();
  for (const clause of file.nodes("except_clause")) {
    const pattern = clause.child("value");
    if (pattern?.type !== "as_pattern") continue;
    const caught = pattern.firstNamed;
    const alias = pattern.child("alias")?.firstNamed;
    if (caught && alias && catchesBroadly(file, caught)) bindings.add(alias);
  }
  for (const handler of broadHandlers(file)) {
    const parameters = handler.child("parameters")?.namedChildren ?? [];
    const exception = parameters[1];
    if (exception) bindings.add(exception);
  }
  return bindings;
}

function catchesBroadly(file: FileContext, caught: SyntaxNode): boolean {
  const names = caught.type === "tuple" ? caught.namedChildren : [caught];
  return names.some((name) => BROAD_EXCEPTIONS.has(file.qualified(name) ?? ""));
}

/** Exception handlers registered for `Exception` or status 500. */
function broadHandlers(file: FileContext): SyntaxNode[] {
  const handlers: SyntaxNode[] = [];
  const isBroad = (node: SyntaxNode | null): boolean =>
    node !== null && (BROAD_EXCEPTIONS.has(file.qualified(node) ?? "") || node.text === "500");
  for (const decorated of file.nodes("decorated_definition")) {
    const fn = decorated.child("definition");
    const registered = decorated.children.some((decorator) => {
      const call = decorator.firstNamed;
      if (call?.type !== "call" || !dottedName(call.child("function") ?? call)?.endsWith("exception_handler")) return false;
      return isBroad(positionalArguments(call)[0] ?? null);
    });
    if (registered && fn?.type === "function_definition") handlers.push(fn);
  }
  for (const call of file.nodes("call")) {
    if (!dottedName(call.child("function") ?? call)?.endsWith("add_exception_handler")) continue;
    const [kind, handler] = positionalArguments(call);
    if (!isBroad(kind ?? null) || handler?.type !== "identifier") continue;
    const fn = file.nodes("function_definition").find((candidate) => candidate.child("name")?.text === handler.text);
    if (fn) handlers.push(fn);
  }
  return handlers;
}

/** Expressions whose value reaches the client: error details, response bodies, handler returns. */
function responseSinks(file: FileContext): SyntaxNode[] {
  const sinks: SyntaxNode[] = [];
  for (const call of file.nodes("call")) {
    const callee = file.calleeName(call);
    if (endsWithName(callee, "HTTPException")) {
      const detail = argumentAt(call, 1, "detail");
      if (detail) sinks.push(detail);
    } else if (RESPONSE_CLASSES.some((name) => endsWithName(callee, name))) {
      const content = argumentAt(call, 0, "content");
      if (content) sinks.push(content);
    }
  }
  const handlers = new Set([...file.routes.map((route) => route.fn), ...broadHandlers(file)]);
  for (const fn of handlers) sinks.push(...returnValues(fn));
  return sinks;
}

/** Find the leaking sub-expression of a sink, following local variables one step at a time. */
function findLeak(file: FileContext, sink: SyntaxNode, broad: Set<SyntaxNode>, depth = 0): SyntaxNode | null {
  if (depth > 4) return null;
  for (const node of descendants(sink)) {
    if (node.type === "call") {
      const callee = file.calleeName(node);
      if (callee && TRACEBACK_CALLS.test(callee)) return node;
      if ((callee === "str" || callee === "repr") && refersToBroad(file, positionalArguments(node)[0], broad)) return node;
    } else if (node.type === "interpolation") {
      const expression = node.child("expression") ?? node.firstNamed;
      if (refersToBroad(file, expression ?? undefined, broad)) return node.parent ?? node;
    } else if (node.type === "attribute" && node.child("attribute")?.text === "args") {
      if (refersToBroad(file, node.child("object") ?? undefined, broad)) return node;
    } else if (node.type === "identifier") {
      const binding = file.bindingOf(node);
      if (binding?.kind === "assign" && binding.value) {
        if (findLeak(file, binding.value, broad, depth + 1)) return node;
      }
    }
  }
  return null;
}

function refersToBroad(file: FileContext, node: SyntaxNode | undefined, broad: Set<SyntaxNode>): boolean {
  if (!node) return false;
  const value = unwrap(node);
  if (value.type !== "identifier") return false;
  const binding = file.bindingOf(value);
  if (!binding) return false;
  if (binding.kind === "parameter") return broad.has(binding.node);
  if (binding.kind !== "other") return false;
  return [...broad].some((alias) => alias.text === value.text && binding.node.start <= alias.start && alias.end <= binding.node.end);
}
