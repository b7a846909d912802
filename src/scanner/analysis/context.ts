import type { ParsedFile } from "../parse/parser.js";
import { descendants, type SourceText, type SyntaxNode } from "../parse/syntax.js";
import {
  collectImports,
  dottedName,
  qualifiedName,
  type ImportTable,
} from "./names.js";
import { collectRoutes, type Route } from "./routes.js";

/** A name bound in a scope: an assignment, an augmented assignment or a parameter. */
export interface Binding {
  name: string;
  /** The assigned expression; null when it cannot be known statically. */
  value: SyntaxNode | null;
  node: SyntaxNode;
  kind: "assign" | "augmented" | "parameter" | "other";
}

const SCOPE_TYPES = new Set(["function_definition", "lambda", "class_definition"]);
const FUNCTION_TYPES = new Set(["function_definition", "lambda"]);

/**
 * Everything the rules know about one file: its syntax tree, imports,
 * bindings per scope and route handlers. Derived data is computed on first
 * use and shared by all rules.
 */
export class FileContext {
  private importTable: ImportTable | null = null;
  private routeList: Route[] | null = null;
  private readonly scopeBindings = new Map<SyntaxNode | null, Map<string, Binding[]>>();
  /** `calleeName` results by call node, because most rules ask for every call's callee. */
  private readonly callees = new Map<SyntaxNode, string | null>();

  constructor(
    readonly path: string,
    private readonly parsed: ParsedFile,
  ) {}

  get source(): SourceText {
    return this.parsed.source;
  }

  get root(): SyntaxNode {
    return this.parsed.root;
  }

  /** Return every node of the given type, in source order. */
  nodes(type: string): readonly SyntaxNode[] {
    return this.parsed.byType.get(type) ?? [];
  }

  get imports(): ImportTable {
    this.importTable ??= collectImports(this.parsed.byType);
    return this.importTable;
  }

  get routes(): Route[] {
    this.routeList ??= collectRoutes(this);
    return this.routeList;
  }

  /** Return the import-resolved dotted name of an expression, e.g. `jwt.decode`. */
  qualified(node: SyntaxNode | null): string | null {
    return node ? qualifiedName(node, this.imports) : null;
  }

  /** The import-resolved name of the function a call invokes. */
  calleeName(call: SyntaxNode): string | null {
    let name = this.callees.get(call);
    if (name === undefined) {
      name = this.qualified(call.child("function"));
      this.callees.set(call, name);
    }
    return name;
  }

  /** The function (or lambda) whose body contains `node`; null at module level. */
  enclosingFunction(node: SyntaxNode): SyntaxNode | null {
    let current = node.parent;
    while (current) {
      if (FUNCTION_TYPES.has(current.type)) return current;
      if (current.type === "class_definition") return null;
      current = current.parent;
    }
    return null;
  }

  /**
   * The binding that gives `identifier` its value at that point: the last
   * assignment before it in the same function, then a parameter, then a
   * module-level assignment. Control flow is not followed.
   */
  bindingOf(identifier: SyntaxNode): Binding | null {
    const name = identifier.text;
    let scope = this.enclosingFunction(identifier);
    const local = this.lastBindingBefore(scope, name, identifier);
    if (local || scope === null) return local;
    // Closures see the bindings of the functions around them.
    for (scope = this.enclosingFunction(scope); scope; scope = this.enclosingFunction(scope)) {
      const outer = this.lastBindingBefore(scope, name, identifier);
      if (outer) return outer;
    }
    // A module name assigned more than once has no single known value.
    const moduleBindings = this.bindingsOf(null).get(name) ?? [];
    const first = moduleBindings[0];
    if (!first) return null;
    if (moduleBindings.length === 1 && first.kind === "assign") return first;
    return { ...first, value: null, kind: "other" };
  }

  /** Augmented assignments (`q += ...`) to `identifier`'s name after `binding` and before it. */
  augmentationsOf(identifier: SyntaxNode, binding: Binding): Binding[] {
    const scope = this.enclosingFunction(binding.node);
    const list = this.bindingsOf(scope).get(identifier.text) ?? [];
    return list.filter(
      (candidate) =>
        candidate.kind === "augmented" &&
        candidate.node.start > binding.node.start &&
        candidate.node.end <= identifier.start,
    );
  }

  /**
   * Follow identifiers through assignments and module constants to the
   * expression that produced the value. Returns the last node reached: an
   * identifier when the trail ends at a parameter or an unknown value.
   */
  resolve(node: SyntaxNode, maxSteps = 8): SyntaxNode {
    let current = unwrap(node);
    for (let step = 0; step < maxSteps && current.type === "identifier"; step++) {
      const binding = this.bindingOf(current);
      if (!binding || !binding.value || binding.kind !== "assign") return current;
      current = unwrap(binding.value);
    }
    return current;
  }

  /** All bindings of a scope (a function, or null for the module), by name, in source order. */
  bindingsOf(scope: SyntaxNode | null): Map<string, Binding[]> {
    let bindings = this.scopeBindings.get(scope);
    if (!bindings) {
      bindings = collectBindings(scope ?? this.root, scope !== null);
      this.scopeBindings.set(scope, bindings);
    }
    return bindings;
  }

  /** The parameters of a function, by name. */
  parameterNames(fn: SyntaxNode): Set<string> {
    const names = new Set<string>();
    for (const list of this.bindingsOf(fn).values()) {
      for (const binding of list) if (binding.kind === "parameter") names.add(binding.name);
    }
    return names;
  }

  private lastBindingBefore(
    scope: SyntaxNode | null,
    name: string,
    use: SyntaxNode,
  ): Binding | null {
    const list = this.bindingsOf(scope).get(name);
    if (!list) return null;
    let found: Binding | null = null;
    for (const binding of list) {
      if (binding.kind === "augmented") continue;
      const before = binding.kind === "parameter" || binding.node.end <= use.start;
      if (before) found = binding;
    }
    return found;
  }
}

/** Strip parentheses around an expression. */
export function unwrap(node: SyntaxNode): SyntaxNode {
  let current = node;
  while (current.type === "parenthesized_expression" && current.firstNamed) {
    current = current.firstNamed;
  }
  return current;
}

function collectBindings(scope: SyntaxNode, isFunction: boolean): Map<string, Binding[]> {
  const bindings = new Map<string, Binding[]>();
  const add = (binding: Binding): void => {
    const list = bindings.get(binding.name);
    if (list) list.push(binding);
    else bindings.set(binding.name, [binding]);
  };
  if (isFunction) collectParameters(scope, add);
  const body = isFunction ? scope.child("body") : scope;
  if (!body) return bindings;
  const skipNested = (node: SyntaxNode): boolean => SCOPE_TYPES.has(node.type);
  for (const node of descendants(body, skipNested)) {
    collectBinding(node, add);
  }
  return bindings;
}

function collectParameters(fn: SyntaxNode, add: (binding: Binding) => void): void {
  const parameters = fn.child("parameters");
  if (!parameters) return;
  for (const parameter of parameters.namedChildren) {
    const name = parameterName(parameter);
    if (name) add({ name, value: null, node: parameter, kind: "parameter" });
  }
}

/** Return the name a parameter node binds, or null for `*` and `/` separators. */
export function parameterName(parameter: SyntaxNode): string | null {
  if (parameter.type === "identifier") return parameter.text;
  const named = parameter.child("name") ?? parameter.firstNamed;
  if (!named) return null;
  if (named.type === "identifier") return named.text;
  return named.firstNamed?.type === "identifier" ? named.firstNamed.text : null;
}

function collectBinding(node: SyntaxNode, add: (binding: Binding) => void): void {
  switch (node.type) {
    case "assignment": {
      const left = node.child("left");
      const right = node.child("right");
      if (left?.type === "identifier") {
        add({ name: left.text, value: right, node, kind: "assign" });
      } else if (left) {
        addTargets(left, node, add);
      }
      return;
    }
    case "augmented_assignment": {
      const left = node.child("left");
      if (left?.type === "identifier") {
        add({ name: left.text, value: node.child("right"), node, kind: "augmented" });
      }
      return;
    }
    case "named_expression": {
      const name = node.child("name");
      if (name) add({ name: name.text, value: node.child("value"), node, kind: "assign" });
      return;
    }
    case "type_alias_statement": {
      const name = node.child("left")?.firstNamed;
      if (name?.type === "identifier") {
        add({ name: name.text, value: node.child("right"), node, kind: "assign" });
      }
      return;
    }
    case "for_statement":
    case "for_in_clause":
      addTargets(node.child("left"), node, add);
      return;
    case "as_pattern_target":
      addTargets(node, node, add);
      return;
    default:
      return;
  }
}

/** Bind the names in an assignment target; `x[0] = ...` and `x.a = ...` rebind nothing. */
function addTargets(
  target: SyntaxNode | null,
  node: SyntaxNode,
  add: (binding: Binding) => void,
): void {
  if (!target) return;
  if (target.type === "identifier") {
    add({ name: target.text, value: null, node, kind: "other" });
    return;
  }
  if (PATTERN_TYPES.has(target.type)) {
    for (const child of target.namedChildren) addTargets(child, node, add);
  }
}

const PATTERN_TYPES = new Set([
  "pattern_list",
  "tuple_pattern",
  "list_pattern",
  "tuple",
  "list",
  "parenthesized_expression",
  "list_splat_pattern",
  "as_pattern_target",
]);

/** Map a call's keyword argument names to their values. */
export function keywordArguments(call: SyntaxNode): Map<string, SyntaxNode> {
  const map = new Map<string, SyntaxNode>();
  const list = call.child("arguments");
  if (!list) return map;
  for (const argument of list.children) {
    if (argument.type !== "keyword_argument") continue;
    const name = argument.child("name")?.text;
    const value = argument.child("value");
    if (name && value) map.set(name, value);
  }
  return map;
}

/** Return the keyword_argument node named `name`, to report at its position. */
export function keywordNode(call: SyntaxNode, name: string): SyntaxNode | null {
  const list = call.child("arguments");
  if (!list) return null;
  for (const argument of list.children) {
    if (argument.type === "keyword_argument" && argument.child("name")?.text === name) {
      return argument;
    }
  }
  return null;
}

const NON_POSITIONAL = new Set([
  "keyword_argument",
  "list_splat",
  "dictionary_splat",
  "comment",
]);

/** Return the positional arguments of a call. */
export function positionalArguments(call: SyntaxNode): SyntaxNode[] {
  const list = call.child("arguments");
  if (!list || list.type !== "argument_list") return [];
  return list.children.filter((child) => child.named && !NON_POSITIONAL.has(child.type));
}

/** Return the argument passed by keyword `name` or, failing that, at position `index`. */
export function argumentAt(call: SyntaxNode, index: number, name: string): SyntaxNode | null {
  return keywordArguments(call).get(name) ?? positionalArguments(call)[index] ?? null;
}

/** True when the call passes `*args` or `**kwargs`, so its arguments are not all visible. */
export function hasSplat(call: SyntaxNode): boolean {
  const list = call.child("arguments");
  return !!list?.children.some(
    (child) => child.type === "list_splat" || child.type === "dictionary_splat",
  );
}

export { dottedName };
