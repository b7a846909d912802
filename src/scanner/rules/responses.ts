import { contains, descendants, type SyntaxNode } from "../parse/syntax.js";
import { positionalArguments, unwrap, type FileContext } from "../analysis/context.js";
import { returnValues } from "../analysis/flow.js";
import { fetchedModel, isModelName } from "../analysis/orm.js";
import { isStoredSecret } from "../analysis/facts.js";
import { lastName } from "../analysis/names.js";
import { describeAnnotation, type Route } from "../analysis/routes.js";
import type { Reporter, Rule } from "../types.js";
import { excerpt } from "./common.js";

/** Return annotations that FastAPI does not use to filter the response. */
const UNFILTERED_TYPES = /^(dict|Dict|Any|typing\.Any|object|None|list|List|JSONResponse|Response|ORJSONResponse|StreamingResponse|HTMLResponse|PlainTextResponse|RedirectResponse|FileResponse)$/;

const DUMP_METHODS = new Set(["model_dump", "dict", "json", "model_dump_json", "to_dict"]);

/**
 * SFA007. Returning a row as it is stored sends every column to the client,
 * password hashes and internal flags included. A route has no response
 * model when it has no `response_model=` (or `None`, a dict, list or
 * response class) and no class return annotation. Such routes are flagged
 * when they return `obj.__dict__` or `vars(obj)`, or a table model (fetched
 * by the ORM, its `model_dump()`, or a parameter typed with it) whose class
 * in the scanned files has a password, secret, token or key column. They
 * are also flagged when they return a stored-secret column read from such a
 * model (`user.hashed_password` in a dict, list, comprehension or
 * `JSONResponse`).
 *
 * Routes with a response model are flagged when it is a table model with
 * such a column, or another class in the scanned files that declares a
 * `str` field named for a stored secret (`hashed_password`, `salt`). Access
 * and refresh tokens, API keys and client secrets count as issued on purpose, so a login's `{"access_token": ...}` and a `Token`
 * response model are not flagged. Does not flag models it cannot see,
 * request models used only as parameters, models whose sensitive fields are
 * all declared with `exclude=True`, secrets passed to a call
 * (`verify_password(p, user.hashed_password)`), or responses filtered by a
 * separate output model.
 */
export const responseExposureRule: Rule = {
  id: "SFA007",
  title: "Response exposes internal fields",
  cwe: "CWE-200",
  relatedCwes: ["CWE-213"],
  severity: "high",
  description:
    "Returning `__dict__`, `vars()` or a table model without an output model sends every stored column to the client, including password hashes and internal fields.",
  hint: "Declare an allowlist output model (`UserPublic` with `ConfigDict(from_attributes=True)`) as `response_model` or return annotation.",
  check(file, report) {
    for (const route of file.routes) {
      const declared = declaredResponseModel(file, route);
      if (declared) {
        // At most one of the two conditions is true: the first needs a table model, the second any other class.
        report(declared.node, `\`${route.name}\` uses table model \`${declared.model}\` as its response model`, {
          condition: { kind: "sensitive-table-model", model: declared.model },
        });
        report(
          declared.node,
          `\`${route.name}\` uses response model \`${declared.model}\`, which declares a password or secret field`,
          { condition: { kind: "sensitive-output-model", model: declared.model } },
        );
        continue;
      }
      if (hasResponseModel(file, route)) continue;
      for (const value of returnValues(route.fn)) checkReturn(file, route, value, report);
    }
  },
};

/** The model named by `response_model=` or the return annotation, when it may be a table. */
function declaredResponseModel(file: FileContext, route: Route): { node: SyntaxNode; model: string } | null {
  const option = route.options.get("response_model");
  const annotation = route.fn.child("return_type");
  const node = option ?? annotation;
  if (!node) return null;
  const model = modelOfType(file, node);
  return model ? { node, model } : null;
}

/** `User` for `User`, `list[User]`, `Sequence[User]` or `Annotated[User, ...]`. */
function modelOfType(file: FileContext, node: SyntaxNode): string | null {
  const base = describeAnnotation(file, node, 0).baseType;
  if (base && isModelName(base) && !UNFILTERED_TYPES.test(base)) return base;
  const inner = node.type === "type" ? node.firstNamed : node;
  if (inner?.type === "generic_type" || inner?.type === "subscript") {
    const argument = inner.type === "subscript" ? inner.child("subscript") : inner.children.find((child) => child.type === "type_parameter")?.firstNamed;
    return argument ? modelOfType(file, argument) : null;
  }
  return null;
}

/** True when `response_model=` or the return annotation names a class that FastAPI filters the response through. */
function hasResponseModel(file: FileContext, route: Route): boolean {
  const declared = route.options.get("response_model") ?? route.fn.child("return_type");
  if (!declared) return false;
  const base = describeAnnotation(file, declared, 0).baseType;
  return base !== null && !UNFILTERED_TYPES.test(base);
}

function checkReturn(file: FileContext, route: Route, value: SyntaxNode, report: Reporter): void {
  const resolved = file.resolve(value);
  const dump = findAttributeDump(resolved);
  if (dump) {
    report(value, `\`${route.name}\` returns \`${excerpt(dump)}\` with no response model, exposing every attribute`);
    return;
  }
  const model = returnedModel(file, route, resolved);
  if (model) {
    report(value, `\`${route.name}\` returns table model \`${model}\` with no response model`, {
      condition: { kind: "sensitive-table-model", model },
    });
    return;
  }
  for (const secret of returnedSecrets(file, route, value)) {
    report(
      secret.node,
      `\`${route.name}\` returns \`${excerpt(secret.node, 40)}\`, a secret column of table model \`${secret.model}\`, with no response model`,
      { condition: { kind: "sensitive-table-field", model: secret.model, field: secret.field } },
    );
  }
}

/** The first `x.__dict__` or `vars(x)` in an expression. */
function findAttributeDump(node: SyntaxNode): SyntaxNode | null {
  for (const child of descendants(node)) {
    if (child.type === "attribute" && child.child("attribute")?.text === "__dict__") return child;
    if (child.type === "call" && child.child("function")?.text === "vars") return child;
  }
  return null;
}

function returnedModel(file: FileContext, route: Route, value: SyntaxNode): string | null {
  let current = unwrap(value);
  if (current.type === "await" && current.firstNamed) current = unwrap(current.firstNamed);
  if (current.type === "call") {
    const callee = current.child("function");
    const method = callee?.type === "attribute" ? callee.child("attribute")?.text : null;
    if (method && DUMP_METHODS.has(method) && callee?.child("object")) {
      current = file.resolve(callee.child("object") as SyntaxNode);
    } else if (callee?.text === "jsonable_encoder" && positionalArguments(current)[0]) {
      current = file.resolve(positionalArguments(current)[0] as SyntaxNode);
    }
  }
  if (current.type === "identifier") {
    const binding = file.bindingOf(current);
    const parameter = binding?.kind === "parameter" ? route.parameters.find((p) => p.name === current.text) : null;
    return parameter?.baseType && isModelName(parameter.baseType) ? parameter.baseType : null;
  }
  return fetchedModel(file, current);
}

/** An attribute read in a returned value, such as `user.hashed_password`, on a model instance. */
interface ReturnedSecret {
  node: SyntaxNode;
  model: string;
  field: string;
}

const MAX_RETURN_DEPTH = 8;

/** Calls whose result carries the values passed to them into the response. */
const PASS_THROUGH_CALLS = new Set([
  "dict",
  "list",
  "tuple",
  "jsonable_encoder",
  "JSONResponse",
  "ORJSONResponse",
  "UJSONResponse",
]);

const COMPREHENSIONS = new Set([
  "list_comprehension",
  "set_comprehension",
  "generator_expression",
  "dictionary_comprehension",
]);

/**
 * Find reads of stored secrets (`user.hashed_password`) in the parts of a
 * returned value that reach the client: dict values, list, tuple and set
 * elements, comprehension results, both branches of `x if c else y`, local
 * variables and the arguments of `dict()`, `jsonable_encoder()` and
 * `JSONResponse()`. Values passed to other calls, such as
 * `verify(password, user.hashed_password)`, are not returned and are skipped.
 * The receiver must be a model instance: fetched by the ORM, a loop variable
 * over such a query, or a parameter typed with a model class.
 */
function returnedSecrets(file: FileContext, route: Route, value: SyntaxNode): ReturnedSecret[] {
  const found: ReturnedSecret[] = [];
  const visit = (node: SyntaxNode | null, loops: ReadonlyMap<string, SyntaxNode>, depth: number): void => {
    if (!node || depth > MAX_RETURN_DEPTH) return;
    const current = unwrap(node);
    const next = (child: SyntaxNode | null): void => visit(child, loops, depth + 1);
    if (COMPREHENSIONS.has(current.type)) {
      visit(current.child("body"), withLoopVariables(current, loops), depth + 1);
      return;
    }
    switch (current.type) {
      case "attribute": {
        const secret = secretRead(file, route, current, loops);
        if (secret) found.push(secret);
        return;
      }
      case "identifier": {
        if (loops.has(current.text)) return;
        const resolved = file.resolve(current);
        if (resolved !== current) next(resolved);
        return;
      }
      case "pair":
      case "keyword_argument":
        next(current.child("value"));
        return;
      case "dictionary":
      case "list":
      case "tuple":
      case "set":
      case "expression_list":
      case "dictionary_splat":
      case "list_splat":
      case "await":
        for (const child of current.namedChildren) next(child);
        return;
      case "conditional_expression": {
        const [consequence, , alternative] = current.namedChildren;
        next(consequence ?? null);
        next(alternative ?? null);
        return;
      }
      case "call": {
        const callee = current.child("function");
        const name = callee ? lastName(callee) : null;
        if (name && PASS_THROUGH_CALLS.has(name)) {
          for (const argument of current.child("arguments")?.namedChildren ?? []) next(argument);
        }
        return;
      }
      default:
        return;
    }
  };
  visit(value, new Map(), 0);
  return found;
}

/** Add a comprehension's `for name in iterable` variables to `loops`. */
function withLoopVariables(
  comprehension: SyntaxNode,
  loops: ReadonlyMap<string, SyntaxNode>,
): ReadonlyMap<string, SyntaxNode> {
  const extended = new Map(loops);
  for (const clause of comprehension.children) {
    if (clause.type !== "for_in_clause") continue;
    const variable = clause.child("left");
    const iterable = clause.child("right");
    if (variable?.type === "identifier" && iterable) extended.set(variable.text, iterable);
  }
  return extended;
}

function secretRead(
  file: FileContext,
  route: Route,
  attribute: SyntaxNode,
  loops: ReadonlyMap<string, SyntaxNode>,
): ReturnedSecret | null {
  const field = attribute.child("attribute")?.text ?? "";
  const object = attribute.child("object");
  if (!object || !isStoredSecret(field)) return null;
  const model = instanceModel(file, route, object, loops);
  return model ? { node: attribute, model, field } : null;
}

/** Return the model class an expression is an instance of, or null when unknown. */
function instanceModel(
  file: FileContext,
  route: Route,
  node: SyntaxNode,
  loops: ReadonlyMap<string, SyntaxNode>,
): string | null {
  const object = unwrap(node);
  if (object.type !== "identifier") return fetchedModel(file, object);
  const iterable = loops.get(object.text) ?? loopIterable(object);
  if (iterable) return fetchedModel(file, iterable);
  const binding = file.bindingOf(object);
  if (binding?.kind === "parameter") {
    const parameter = route.parameters.find((candidate) => candidate.name === object.text);
    return parameter?.baseType && isModelName(parameter.baseType) ? parameter.baseType : null;
  }
  return fetchedModel(file, object);
}

/** Find the iterable of the innermost `for name in iterable:` loop whose body uses `identifier` as its variable. */
function loopIterable(identifier: SyntaxNode): SyntaxNode | null {
  for (let current = identifier.parent; current; current = current.parent) {
    if (current.type === "function_definition" || current.type === "lambda") return null;
    if (current.type !== "for_statement") continue;
    const body = current.child("body");
    if (body && contains(body, identifier) && current.child("left")?.text === identifier.text) {
      return current.child("right");
    }
  }
  return null;
}
