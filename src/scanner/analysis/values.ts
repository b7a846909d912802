import type { SyntaxNode } from "../parse/syntax.js";
import { keywordArguments, positionalArguments, unwrap, type FileContext } from "./context.js";

const MAX_DEPTH = 10;

const LITERAL_TYPES = new Set(["integer", "float", "true", "false", "none"]);

/** Operation that inserted a non-constant part into a string. */
export type BuildKind = "f-string" | "%-formatting" | ".format()" | "concatenation";

/** Facts known about a string-valued expression. */
export interface StringShape {
  /** The constant fragments joined, e.g. `SELECT * FROM users WHERE id = `. */
  literal: string;
  /** True when at least one part is not a constant. */
  dynamic: boolean;
  how: BuildKind | null;
  /** The node that assembles the string, for reporting. */
  builder: SyntaxNode | null;
  /** The non-constant expressions that were inserted. */
  inserted: SyntaxNode[];
}

/** Return the constant string an expression evaluates to, following names, or null. */
export function constantString(file: FileContext, node: SyntaxNode): string | null {
  const shape = stringShape(file, node);
  return shape && !shape.dynamic ? shape.literal : null;
}

/** Return the constant boolean an expression evaluates to, following names, or null. */
export function constantBoolean(file: FileContext, node: SyntaxNode): boolean | null {
  const value = file.resolve(node);
  if (value.type === "true") return true;
  if (value.type === "false") return false;
  return null;
}

/** Return the elements of a list, tuple or set literal, following names, or null. */
export function sequenceElements(file: FileContext, node: SyntaxNode): SyntaxNode[] | null {
  const value = file.resolve(node);
  if (value.type === "list" || value.type === "tuple" || value.type === "set") {
    return value.namedChildren.filter((child) => child.type !== "comment");
  }
  return null;
}

/** True for literals and names whose value is a literal. */
export function isConstant(file: FileContext, node: SyntaxNode, depth = 0): boolean {
  if (depth > MAX_DEPTH) return false;
  const value = file.resolve(node);
  if (LITERAL_TYPES.has(value.type)) return true;
  if (value.type === "unary_operator") {
    const operand = value.child("argument");
    return operand !== null && isConstant(file, operand, depth + 1);
  }
  if (value.type === "tuple" || value.type === "list") {
    return value.namedChildren.every((child) => isConstant(file, child, depth + 1));
  }
  const shape = stringShape(file, value, depth + 1);
  return shape !== null && !shape.dynamic;
}

/**
 * Describe how a string expression is built: its constant text and whether
 * non-constant values were inserted by f-string, `%`, `.format()` or `+`.
 * A `sep.join(...)` of constant parts is constant too (see `joinCallShape`).
 * Returns null when the expression is not recognisably a string.
 */
export function stringShape(
  file: FileContext,
  node: SyntaxNode,
  depth = 0,
): StringShape | null {
  if (depth > MAX_DEPTH) return null;
  const expression = unwrap(node);
  switch (expression.type) {
    case "identifier":
      return identifierShape(file, expression, depth);
    case "string":
      return literalShape(file, expression, depth);
    case "concatenated_string":
      return joinShapes(
        expression.namedChildren.map((part) => stringShape(file, part, depth + 1)),
        expression.namedChildren,
        expression,
        "concatenation",
      );
    case "binary_operator":
      return operatorShape(file, expression, depth);
    case "call":
      return formatCallShape(file, expression, depth) ?? joinCallShape(file, expression, depth);
    case "conditional_expression":
      return conditionalShape(file, expression, depth);
    default:
      return null;
  }
}

function identifierShape(
  file: FileContext,
  identifier: SyntaxNode,
  depth: number,
): StringShape | null {
  const binding = file.bindingOf(identifier);
  if (!binding || binding.kind !== "assign" || !binding.value) return null;
  let shape = stringShape(file, binding.value, depth + 1);
  if (!shape) return null;
  for (const augmentation of file.augmentationsOf(identifier, binding)) {
    const added = augmentation.value ? stringShape(file, augmentation.value, depth + 1) : null;
    const extra = added ?? unknownPart(augmentation.value ?? augmentation.node);
    shape = {
      literal: shape.literal + extra.literal,
      dynamic: shape.dynamic || extra.dynamic,
      how: shape.how ?? (extra.dynamic ? (extra.how ?? "concatenation") : null),
      builder: shape.builder ?? (extra.dynamic ? (extra.builder ?? augmentation.node) : null),
      inserted: [...shape.inserted, ...extra.inserted],
    };
  }
  return shape;
}

function literalShape(file: FileContext, string: SyntaxNode, depth: number): StringShape {
  let literal = "";
  const inserted: SyntaxNode[] = [];
  for (const part of string.children) {
    if (part.type === "string_content" || part.type === "escape_sequence") {
      literal += part.text;
    } else if (part.type === "interpolation") {
      const expression = part.child("expression") ?? part.firstNamed;
      if (!expression) continue;
      const constant = isConstant(file, expression, depth + 1)
        ? constantText(file, expression, depth + 1)
        : null;
      if (constant === null) inserted.push(expression);
      else literal += constant;
    }
  }
  const dynamic = inserted.length > 0;
  return {
    literal,
    dynamic,
    how: dynamic ? "f-string" : null,
    builder: dynamic ? string : null,
    inserted,
  };
}

function constantText(file: FileContext, node: SyntaxNode, depth: number): string | null {
  const value = file.resolve(node);
  if (LITERAL_TYPES.has(value.type)) return value.text;
  const shape = stringShape(file, value, depth + 1);
  return shape && !shape.dynamic ? shape.literal : null;
}

function unknownPart(node: SyntaxNode): StringShape {
  return { literal: "", dynamic: true, how: "concatenation", builder: null, inserted: [node] };
}

function operatorShape(
  file: FileContext,
  expression: SyntaxNode,
  depth: number,
): StringShape | null {
  const operator = expression.child("operator")?.text;
  const left = expression.child("left");
  const right = expression.child("right");
  if (!left || !right) return null;
  if (operator === "+") {
    const operands = concatenationOperands(expression);
    const shapes = operands.map((operand) => stringShape(file, operand, depth + 1));
    if (shapes.every((shape) => shape === null)) return null;
    return joinShapes(shapes, operands, expression, "concatenation");
  }
  if (operator === "%") {
    const format = stringShape(file, left, depth + 1);
    if (!format) return null;
    if (isConstant(file, right, depth + 1)) return { ...format, builder: format.builder };
    return markDynamic(format, expression, "%-formatting", [right]);
  }
  return null;
}

/**
 * Collect the operands of `a + b + c`, which parses as `(a + b) + c`,
 * without recursion, so that very long chains cost no stack depth.
 */
function concatenationOperands(expression: SyntaxNode): SyntaxNode[] {
  const operands: SyntaxNode[] = [];
  let current: SyntaxNode = expression;
  while (current.type === "binary_operator" && current.child("operator")?.text === "+") {
    const right = current.child("right");
    const left = current.child("left");
    if (!left || !right) break;
    operands.push(right);
    current = unwrap(left);
  }
  operands.push(current);
  return operands.reverse();
}

function formatCallShape(
  file: FileContext,
  call: SyntaxNode,
  depth: number,
): StringShape | null {
  const callee = call.child("function");
  if (callee?.type !== "attribute" || callee.child("attribute")?.text !== "format") return null;
  const object = callee.child("object");
  const format = object ? stringShape(file, object, depth + 1) : null;
  if (!format) return null;
  const values = [...positionalArguments(call), ...keywordArguments(call).values()];
  const variable = values.filter((value) => !isConstant(file, value, depth + 1));
  const splat = call.child("arguments")?.children.some((child) => child.type.endsWith("splat"));
  if (variable.length === 0 && !splat) return format;
  return markDynamic(format, call, ".format()", variable);
}

/**
 * Describe `sep.join(parts)` when the separator and every part are constant.
 * Constant parts are a list, tuple, set or string of constants, or a
 * constant repeated by a count (`"?" * len(ids)`, `["%s"] * len(ids)`). A
 * comprehension qualifies when its result is constant (`"%s" for _ in ids`)
 * or inserts only the loop's own constants (see `loopConstants`), as in
 * `f":id{i}" for i in range(len(ids))`. Such joins build placeholder lists
 * like `?, ?, ?`. Returns null for any other join.
 * NOTE: when the count is known only at run time, `literal` contains one part.
 */
function joinCallShape(file: FileContext, call: SyntaxNode, depth: number): StringShape | null {
  const callee = call.child("function");
  if (callee?.type !== "attribute" || callee.child("attribute")?.text !== "join") return null;
  const separatorNode = callee.child("object");
  const separator = separatorNode ? stringShape(file, separatorNode, depth + 1) : null;
  // `sep.join(x for x in xs)` has the generator expression in place of an argument list.
  const list = call.child("arguments");
  const argument = list?.type === "generator_expression" ? [list] : positionalArguments(call);
  if (!separator || separator.dynamic || argument.length !== 1) return null;
  const parts = constantParts(file, argument[0] as SyntaxNode, depth + 1);
  if (parts === null) return null;
  return { literal: parts.join(separator.literal), dynamic: false, how: null, builder: null, inserted: [] };
}

/** Return the constant strings that `join` iterates over, or null when any part may not be constant. */
function constantParts(file: FileContext, node: SyntaxNode, depth: number): string[] | null {
  if (depth > MAX_DEPTH) return null;
  const value = file.resolve(node);
  switch (value.type) {
    case "list":
    case "tuple":
    case "set": {
      const parts = value.namedChildren
        .filter((child) => child.type !== "comment")
        .map((element) => constantPart(file, element, depth + 1));
      return parts.every((part) => part !== null) ? (parts as string[]) : null;
    }
    case "binary_operator": {
      if (value.child("operator")?.text !== "*") return null;
      const left = value.child("left");
      const right = value.child("right");
      const fromLeft = left ? constantParts(file, left, depth + 1) : null;
      return fromLeft ?? (right ? constantParts(file, right, depth + 1) : null);
    }
    case "list_comprehension":
    case "set_comprehension":
    case "generator_expression": {
      const body = value.child("body");
      const part = body ? comprehensionPart(file, value, body, depth + 1) : null;
      return part === null ? null : [part];
    }
    default: {
      const text = constantPart(file, value, depth + 1);
      return text === null ? null : [...text];
    }
  }
}

function constantPart(file: FileContext, node: SyntaxNode, depth: number): string | null {
  const shape = stringShape(file, node, depth);
  return shape && !shape.dynamic ? shape.literal : null;
}

/** Return the constant text of a comprehension's result, allowing the comprehension's own loop constants. */
function comprehensionPart(
  file: FileContext,
  comprehension: SyntaxNode,
  body: SyntaxNode,
  depth: number,
): string | null {
  const shape = stringShape(file, body, depth);
  if (!shape) return null;
  const counters = loopConstants(file, comprehension, depth);
  const numbered = shape.inserted.every((inserted) => isCounterExpression(inserted, counters));
  return numbered ? shape.literal : null;
}

/**
 * Names that a comprehension binds to values fixed in the source: `i` in
 * `for i in range(n)`, or `c` in `for c in COLUMNS` with `COLUMNS` a list or
 * tuple of constants.
 */
function loopConstants(file: FileContext, comprehension: SyntaxNode, depth: number): Set<string> {
  const names = new Set<string>();
  for (const clause of comprehension.children) {
    if (clause.type !== "for_in_clause") continue;
    const variable = clause.child("left");
    const iterable = clause.child("right");
    if (variable?.type !== "identifier" || !iterable) continue;
    const counts = iterable.type === "call" && file.calleeName(iterable) === "range";
    const elements = counts ? null : sequenceElements(file, iterable);
    const constant = elements?.every((element) => isConstant(file, element, depth + 1)) ?? false;
    if (counts || constant) names.add(variable.text);
  }
  return names;
}

/** True for an integer, a loop constant, or `+`, `-` and `*` of those: `i`, `i + 1`. */
function isCounterExpression(node: SyntaxNode, counters: ReadonlySet<string>): boolean {
  const expression = unwrap(node);
  if (expression.type === "integer") return true;
  if (expression.type === "identifier") return counters.has(expression.text);
  if (expression.type !== "binary_operator") return false;
  if (!["+", "-", "*"].includes(expression.child("operator")?.text ?? "")) return false;
  const left = expression.child("left");
  const right = expression.child("right");
  return left !== null && right !== null && isCounterExpression(left, counters) && isCounterExpression(right, counters);
}

function conditionalShape(
  file: FileContext,
  expression: SyntaxNode,
  depth: number,
): StringShape | null {
  const [consequence, , alternative] = expression.namedChildren;
  const shapes = [consequence, alternative].map((branch) =>
    branch ? stringShape(file, branch, depth + 1) : null,
  );
  const dynamic = shapes.find((shape) => shape?.dynamic);
  return dynamic ?? shapes.find((shape) => shape !== null) ?? null;
}

function joinShapes(
  shapes: (StringShape | null)[],
  parts: SyntaxNode[],
  builder: SyntaxNode,
  how: BuildKind,
): StringShape {
  let literal = "";
  let dynamic = false;
  let innerHow: BuildKind | null = null;
  let innerBuilder: SyntaxNode | null = null;
  const inserted: SyntaxNode[] = [];
  shapes.forEach((shape, index) => {
    if (!shape) {
      dynamic = true;
      inserted.push(parts[index] as SyntaxNode);
      return;
    }
    literal += shape.literal;
    inserted.push(...shape.inserted);
    if (shape.dynamic) {
      dynamic = true;
      innerHow ??= shape.how;
      innerBuilder ??= shape.builder;
    }
  });
  if (!dynamic) return { literal, dynamic, how: null, builder: null, inserted };
  const direct = shapes.some((shape) => shape === null);
  return {
    literal,
    dynamic,
    how: direct ? how : (innerHow ?? how),
    builder: direct ? builder : (innerBuilder ?? builder),
    inserted,
  };
}

function markDynamic(
  shape: StringShape,
  builder: SyntaxNode,
  how: BuildKind,
  inserted: SyntaxNode[],
): StringShape {
  return {
    literal: shape.literal,
    dynamic: true,
    how,
    builder,
    inserted: [...shape.inserted, ...inserted],
  };
}

/** A keyword option passed to a call, and the node to report it at. */
export interface KeywordOption {
  value: SyntaxNode;
  /** The `name=value` argument, the `"name": value` pair of an inline `**{...}`, or the `**options` argument. */
  node: SyntaxNode;
}

/**
 * Map a call's keyword options to their values: `name=value` arguments and
 * the entries of `**` arguments whose value is a dict literal or
 * `dict(name=value)`. The dict may be inline or bound to a local or module
 * name, and `**` inside it is followed too. Other `**` arguments, such as
 * `**settings.cors_kwargs()`, add nothing.
 * NOTE: a dict changed after its literal (`options["debug"] = False`) is read as the literal.
 */
export function keywordOptions(file: FileContext, call: SyntaxNode): Map<string, KeywordOption> {
  const options = new Map<string, KeywordOption>();
  const list = call.child("arguments");
  if (!list) return options;
  for (const argument of list.children) {
    if (argument.type !== "dictionary_splat") continue;
    const expression = argument.firstNamed;
    const inline = expression !== null && unwrap(expression).type === "dictionary";
    if (expression) addDictOptions(file, expression, inline ? null : argument, options, 0);
  }
  for (const [name, value] of keywordArguments(call)) {
    const node = value.parent?.type === "keyword_argument" ? value.parent : value;
    options.set(name, { value, node });
  }
  return options;
}

/** Add the constant-keyed entries of the dict that `node` evaluates to, reported at `reportAt` when it is set. */
function addDictOptions(
  file: FileContext,
  node: SyntaxNode,
  reportAt: SyntaxNode | null,
  options: Map<string, KeywordOption>,
  depth: number,
): void {
  if (depth > MAX_DEPTH) return;
  const value = file.resolve(node);
  if (value.type === "call" && file.calleeName(value) === "dict" && positionalArguments(value).length === 0) {
    for (const [name, option] of keywordArguments(value)) {
      options.set(name, { value: option, node: reportAt ?? option.parent ?? option });
    }
    return;
  }
  if (value.type !== "dictionary") return;
  for (const entry of value.namedChildren) {
    if (entry.type === "dictionary_splat") {
      const inner = entry.firstNamed;
      if (inner) addDictOptions(file, inner, reportAt ?? entry, options, depth + 1);
      continue;
    }
    if (entry.type !== "pair") continue;
    const key = entry.child("key");
    const option = entry.child("value");
    const name = key ? constantString(file, key) : null;
    if (name !== null && option) options.set(name, { value: option, node: reportAt ?? entry });
  }
}
