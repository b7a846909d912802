import type { SyntaxNode } from "../parse/syntax.js";
import {
  argumentAt,
  keywordArguments,
  parameterName,
  unwrap,
  type FileContext,
} from "./context.js";
import { dottedName, endsWithName } from "./names.js";
import { constantString, sequenceElements } from "./values.js";

const HTTP_METHODS = new Set(["get", "post", "put", "patch", "delete", "options", "head", "trace"]);

/** A FastAPI or Starlette-style path operation and what its signature declares. */
export interface Route {
  fn: SyntaxNode;
  name: string;
  /** The route decorator's call, e.g. `app.post("/login")`. */
  decorator: SyntaxNode;
  /** Every decorator expression on the handler, route decorator included. */
  decorators: SyntaxNode[];
  methods: string[];
  path: string | null;
  /** Keyword arguments of the route decorator. */
  options: Map<string, SyntaxNode>;
  /** Keyword arguments of the `FastAPI(...)` or `APIRouter(...)` call that made the owner, when in this file. */
  ownerOptions: Map<string, SyntaxNode>;
  parameters: RouteParameter[];
}

/** One handler parameter. */
export interface RouteParameter {
  name: string;
  node: SyntaxNode;
  /** The base type as written, with `Annotated` and `Optional` removed: `str`, `User`. */
  baseType: string | null;
  /** The dependency callee (`get_current_user`), or the alias name when the alias is imported. */
  dependency: string | null;
  /** `Query(...)`, `Path(...)`, `Field(...)` and similar calls from `Annotated` or the default. */
  metadata: SyntaxNode[];
  inPath: boolean;
  isRequest: boolean;
}

/** Find every route handler in the file. */
export function collectRoutes(file: FileContext): Route[] {
  const owners = collectOwners(file);
  const routes: Route[] = [];
  for (const decorated of file.nodes("decorated_definition")) {
    const fn = decorated.child("definition");
    if (fn?.type !== "function_definition") continue;
    const decorators = decorated.children
      .filter((child) => child.type === "decorator")
      .map((decorator) => decorator.firstNamed)
      .filter((expression): expression is SyntaxNode => expression !== null);
    for (const expression of decorators) {
      const route = routeFromDecorator(file, fn, expression, decorators, owners);
      if (route) {
        routes.push(route);
        break;
      }
    }
  }
  routes.push(...routesFromAddApiRoute(file, owners));
  return routes;
}

/** Keyword arguments of each `FastAPI(...)`/`APIRouter(...)` assigned to a module name. */
function collectOwners(file: FileContext): Map<string, Map<string, SyntaxNode>> {
  const owners = new Map<string, Map<string, SyntaxNode>>();
  for (const [name, bindings] of file.bindingsOf(null)) {
    for (const binding of bindings) {
      const value = binding.value ? unwrap(binding.value) : null;
      if (value?.type !== "call") continue;
      const callee = file.calleeName(value);
      if (isAppConstructor(callee)) owners.set(name, keywordArguments(value));
    }
  }
  return owners;
}

function isAppConstructor(callee: string | null): boolean {
  return ["FastAPI", "APIRouter", "Starlette", "Router"].some((name) => endsWithName(callee, name));
}

function routeFromDecorator(
  file: FileContext,
  fn: SyntaxNode,
  expression: SyntaxNode,
  decorators: SyntaxNode[],
  owners: Map<string, Map<string, SyntaxNode>>,
): Route | null {
  if (expression.type !== "call") return null;
  const callee = expression.child("function");
  if (callee?.type !== "attribute") return null;
  const verb = callee.child("attribute")?.text ?? "";
  const owner = callee.child("object");
  const ownerName = owner ? dottedName(owner) : null;
  if (!HTTP_METHODS.has(verb) && verb !== "api_route" && verb !== "route") return null;
  const pathNode = argumentAt(expression, 0, "path");
  const path = pathNode ? constantString(file, pathNode) : null;
  const knownOwner = ownerName !== null && owners.has(ownerName);
  const looksLikePath = path !== null && (path === "" || path.startsWith("/"));
  if (!knownOwner && !looksLikePath) return null;
  const options = keywordArguments(expression);
  return buildRoute(file, fn, {
    decorator: expression,
    decorators,
    methods: routeMethods(file, verb, options),
    path,
    options,
    ownerOptions: (ownerName && owners.get(ownerName)) || new Map(),
  });
}

function routeMethods(file: FileContext, verb: string, options: Map<string, SyntaxNode>): string[] {
  if (HTTP_METHODS.has(verb)) return [verb.toUpperCase()];
  const methods = options.get("methods");
  const elements = methods ? sequenceElements(file, methods) : null;
  if (!elements) return ["GET"];
  return elements
    .map((element) => constantString(file, element)?.toUpperCase())
    .filter((method): method is string => !!method);
}

/** Routes registered with `app.add_api_route("/path", handler, methods=[...])`. */
function routesFromAddApiRoute(
  file: FileContext,
  owners: Map<string, Map<string, SyntaxNode>>,
): Route[] {
  const routes: Route[] = [];
  for (const call of file.nodes("call")) {
    const callee = call.child("function");
    if (callee?.type !== "attribute") continue;
    if (callee.child("attribute")?.text !== "add_api_route") continue;
    const endpoint = argumentAt(call, 1, "endpoint");
    const fn = endpoint?.type === "identifier" ? findModuleFunction(file, endpoint.text) : null;
    if (!fn) continue;
    const pathNode = argumentAt(call, 0, "path");
    const options = keywordArguments(call);
    const ownerName = callee.child("object");
    routes.push(
      buildRoute(file, fn, {
        decorator: call,
        decorators: [],
        methods: routeMethods(file, "api_route", options),
        path: pathNode ? constantString(file, pathNode) : null,
        options,
        ownerOptions: (ownerName && owners.get(ownerName.text)) || new Map(),
      }),
    );
  }
  return routes;
}

function findModuleFunction(file: FileContext, name: string): SyntaxNode | null {
  for (const fn of file.nodes("function_definition")) {
    if (fn.child("name")?.text === name && file.enclosingFunction(fn) === null) return fn;
  }
  return null;
}

function buildRoute(
  file: FileContext,
  fn: SyntaxNode,
  parts: Omit<Route, "fn" | "name" | "parameters">,
): Route {
  const pathNames = new Set(
    [...(parts.path ?? "").matchAll(/\{([A-Za-z_][A-Za-z0-9_]*)(?::[^}]*)?\}/g)].map(
      (match) => match[1] as string,
    ),
  );
  const parameters = (fn.child("parameters")?.namedChildren ?? [])
    .map((node) => describeParameter(file, node, pathNames))
    .filter((parameter): parameter is RouteParameter => parameter !== null);
  return { ...parts, fn, name: fn.child("name")?.text ?? "<handler>", parameters };
}

function describeParameter(
  file: FileContext,
  node: SyntaxNode,
  pathNames: Set<string>,
): RouteParameter | null {
  const name = parameterName(node);
  if (!name || node.type.includes("splat")) return null;
  const typeNode = node.child("type");
  const annotation = typeNode ? describeAnnotation(file, typeNode, 0) : emptyAnnotation();
  const defaultValue = node.child("value");
  const metadata = [...annotation.metadata];
  if (defaultValue && unwrap(defaultValue).type === "call") metadata.push(unwrap(defaultValue));
  let dependency = annotation.importedAlias;
  for (const call of metadata) {
    const found = dependencyOf(file, call, annotation.baseType);
    if (found) dependency = found;
  }
  const baseType = annotation.baseType;
  return {
    name,
    node,
    baseType,
    dependency,
    metadata,
    inPath: pathNames.has(name),
    isRequest: isRequestType(file, baseType),
  };
}

/** Return the dependency a `Depends(...)` or `Security(...)` call names, or null for other calls. */
export function dependencyOf(
  file: FileContext,
  call: SyntaxNode,
  baseType: string | null,
): string | null {
  const callee = file.calleeName(call);
  if (!endsWithName(callee, "Depends") && !endsWithName(callee, "Security")) return null;
  const target = argumentAt(call, 0, "dependency");
  if (!target) return baseType ?? "Depends";
  const inner = unwrap(target);
  if (inner.type === "call") return dottedName(inner.child("function") ?? inner) ?? inner.text;
  return dottedName(inner) ?? inner.text;
}

/** True when a base type names FastAPI's or Starlette's `Request`. */
export function isRequestType(file: FileContext, baseType: string | null): boolean {
  if (!baseType) return false;
  const qualified = file.imports.get(baseType) ?? baseType;
  return qualified === "Request" || /^(fastapi|starlette)(\.[a-z_]+)*\.Request$/.test(qualified);
}

interface AnnotationInfo {
  baseType: string | null;
  metadata: SyntaxNode[];
  /** Set when the annotation is a name imported from another module (a likely `Annotated` alias). */
  importedAlias: string | null;
}

function emptyAnnotation(): AnnotationInfo {
  return { baseType: null, metadata: [], importedAlias: null };
}

const WRAPPER_TYPES = new Set(["Optional", "Union"]);

/**
 * Imported names that are taken for `Annotated[..., Depends(...)]` aliases
 * defined in another module (`SessionDep`, `CurrentUser`, `OwnedDocument`).
 * Other imported names are taken for request models.
 */
const IMPORTED_ALIAS_NAME =
  /^[A-Z]\w*(Dep|Dependency)$|^(Current|Owned|Authorized|Authenticated|Verified|Admin|Active)[A-Z]|^[A-Z]\w*(Session|Limit|Limiter|Budget|Quota|Principal)$/;

/** Strip `Annotated`, `Optional`, `X | None` and local aliases from an annotation. */
export function describeAnnotation(
  file: FileContext,
  node: SyntaxNode,
  depth: number,
): AnnotationInfo {
  const inner = node.type === "type" ? node.firstNamed : node;
  if (!inner || depth > 6) return emptyAnnotation();
  if (inner.type === "generic_type" || inner.type === "subscript") {
    return describeGeneric(file, inner, depth);
  }
  if (inner.type === "binary_operator" && inner.child("operator")?.text === "|") {
    const left = inner.child("left");
    const right = inner.child("right");
    const chosen = left && left.text !== "None" ? left : right;
    return chosen ? describeAnnotation(file, chosen, depth + 1) : emptyAnnotation();
  }
  if (inner.type === "call") {
    // `constr(max_length=100)`, `conint(le=10)`: the call is the constraint.
    const callee = inner.child("function");
    return { baseType: callee ? dottedName(callee) : null, metadata: [inner], importedAlias: null };
  }
  if (inner.type === "string") {
    const text = constantString(file, inner);
    return { baseType: text, metadata: [], importedAlias: null };
  }
  const name = dottedName(inner);
  if (!name) return emptyAnnotation();
  if (inner.type === "identifier") {
    const binding = file.bindingOf(inner);
    const value = binding?.kind === "assign" && binding.value ? unwrap(binding.value) : null;
    if (value && (value.type === "subscript" || value.type === "type" || value.type === "generic_type")) {
      return describeAnnotation(file, value, depth + 1);
    }
    if (file.imports.has(name) && IMPORTED_ALIAS_NAME.test(name)) {
      return { baseType: name, metadata: [], importedAlias: name };
    }
  }
  return { baseType: name, metadata: [], importedAlias: null };
}

function describeGeneric(file: FileContext, node: SyntaxNode, depth: number): AnnotationInfo {
  const head = node.type === "subscript" ? node.child("value") : node.firstNamed;
  const headName = head ? (dottedName(head) ?? "") : "";
  const shortName = headName.split(".").pop() ?? "";
  const parameters =
    node.type === "subscript"
      ? node.childrenOf("subscript")
      : (node.children.find((child) => child.type === "type_parameter")?.namedChildren ?? []);
  const first = parameters[0];
  if (shortName === "Annotated" && first) {
    const base = describeAnnotation(file, first, depth + 1);
    const metadata = parameters
      .slice(1)
      .map((parameter) => (parameter.type === "type" ? parameter.firstNamed : parameter))
      .filter((parameter): parameter is SyntaxNode => parameter?.type === "call");
    return { ...base, metadata: [...base.metadata, ...metadata] };
  }
  if (WRAPPER_TYPES.has(shortName) && first) {
    const chosen = parameters.find((parameter) => parameter.text !== "None") ?? first;
    return describeAnnotation(file, chosen, depth + 1);
  }
  return { baseType: headName || null, metadata: [], importedAlias: null };
}

/** Every dependency that applies to a route: parameters, decorator and router/app options. */
export function routeDependencies(file: FileContext, route: Route): string[] {
  const names: string[] = [];
  for (const parameter of route.parameters) {
    if (parameter.dependency) names.push(parameter.dependency);
  }
  for (const options of [route.options, route.ownerOptions]) {
    const list = options.get("dependencies");
    const elements = list ? sequenceElements(file, list) : null;
    for (const element of elements ?? []) {
      const call = unwrap(element);
      const name = call.type === "call" ? dependencyOf(file, call, null) : null;
      if (name) names.push(name);
    }
  }
  return names;
}
