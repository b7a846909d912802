import { descendants, type SyntaxNode } from "../parse/syntax.js";
import { type FileContext, unwrap } from "./context.js";

const MAX_DEPTH = 12;

/**
 * Effect of a call on the values passed through it. The result carries the
 * receiver's and the arguments' values (`propagate`), only the receiver's
 * (`receiver`, for lookups such as `params.get(key)`), or neither (`stop`).
 */
export type CallEffect = "propagate" | "receiver" | "stop";

export interface FlowOptions {
  /** Decide whether a call's result carries its receiver's and arguments' values. */
  callEffect: (file: FileContext, call: SyntaxNode) => CallEffect;
  /** Attribute names that remove the taint, e.g. `.name` of a path. */
  cleanAttributes?: ReadonlySet<string>;
  /** Decide whether a use of a source parameter counts, e.g. only `request.headers` of a `Request`; all count when unset. */
  acceptSource?: (identifier: SyntaxNode) => boolean;
}

/**
 * Find the parameter whose value reaches `node`: through assignments in the
 * same function, string building, containers, attribute access and the calls
 * that `options` lets through. Returns the parameter's identifier at the
 * point where it enters the expression, or null.
 */
export function sourceParameter(
  file: FileContext,
  node: SyntaxNode,
  parameters: ReadonlySet<string>,
  options: FlowOptions,
  depth = 0,
): SyntaxNode | null {
  if (depth > MAX_DEPTH) return null;
  const expression = unwrap(node);
  const next = (child: SyntaxNode | null): SyntaxNode | null =>
    child ? sourceParameter(file, child, parameters, options, depth + 1) : null;
  switch (expression.type) {
    case "identifier":
      return identifierSource(file, expression, parameters, options, depth);
    case "attribute": {
      const attribute = expression.child("attribute")?.text ?? "";
      if (options.cleanAttributes?.has(attribute)) return null;
      return next(expression.child("object"));
    }
    case "subscript":
      return next(expression.child("value"));
    case "call":
      return callSource(file, expression, options, next);
    case "string":
      return firstOf(
        expression.children
          .filter((part) => part.type === "interpolation")
          .map((part) => part.child("expression") ?? part.firstNamed),
        next,
      );
    case "keyword_argument":
      return next(expression.child("value"));
    case "lambda":
    case "list_comprehension":
    case "generator_expression":
      return null;
    default:
      return firstOf(expression.namedChildren, next);
  }
}

function identifierSource(
  file: FileContext,
  identifier: SyntaxNode,
  parameters: ReadonlySet<string>,
  options: FlowOptions,
  depth: number,
): SyntaxNode | null {
  const binding = file.bindingOf(identifier);
  if (!binding) return null;
  if (binding.kind === "parameter") {
    const accepted = options.acceptSource?.(identifier) ?? true;
    return parameters.has(identifier.text) && accepted ? identifier : null;
  }
  const sources = [binding.value, ...file.augmentationsOf(identifier, binding).map((b) => b.value)];
  return firstOf(sources, (value) =>
    value ? sourceParameter(file, value, parameters, options, depth + 1) : null,
  );
}

function callSource(
  file: FileContext,
  call: SyntaxNode,
  options: FlowOptions,
  next: (child: SyntaxNode | null) => SyntaxNode | null,
): SyntaxNode | null {
  const effect = options.callEffect(file, call);
  if (effect === "stop") return null;
  const callee = call.child("function");
  const fromObject = callee?.type === "attribute" ? next(callee.child("object")) : null;
  if (fromObject || effect === "receiver") return fromObject;
  const list = call.child("arguments");
  return list ? firstOf(list.namedChildren, next) : null;
}

function firstOf(
  nodes: (SyntaxNode | null)[],
  visit: (node: SyntaxNode | null) => SyntaxNode | null,
): SyntaxNode | null {
  for (const node of nodes) {
    const found = visit(node);
    if (found) return found;
  }
  return null;
}

/** Every call under `node`, nested functions included. */
export function callsUnder(node: SyntaxNode | null): SyntaxNode[] {
  if (!node) return [];
  const calls: SyntaxNode[] = [];
  for (const child of descendants(node)) {
    if (child.type === "call") calls.push(child);
  }
  return calls;
}

/** Every `return` value in a function's own body, nested functions excluded. */
export function returnValues(fn: SyntaxNode): SyntaxNode[] {
  const body = fn.child("body");
  if (!body) return [];
  const values: SyntaxNode[] = [];
  const nested = (node: SyntaxNode): boolean =>
    node.type === "function_definition" || node.type === "lambda" || node.type === "class_definition";
  for (const node of descendants(body, nested)) {
    if (node.type === "return_statement" && node.firstNamed) values.push(node.firstNamed);
  }
  return values;
}
