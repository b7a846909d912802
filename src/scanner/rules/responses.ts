import { descendants, type SyntaxNode } from "../parse/syntax.js";
import { positionalArguments, unwrap, type FileContext } from "../analysis/context.js";
import { returnValues } from "../analysis/flow.js";
import { fetchedModel, isModelName } from "../analysis/orm.js";
import { describeAnnotation, type Route } from "../analysis/routes.js";
import type { Reporter, Rule } from "../types.js";
import { excerpt } from "./common.js";

/** Return annotations that FastAPI does not use to filter the response. */
const UNFILTERED_TYPES = /^(dict|Dict|Any|typing\.Any|object|None|list|List|JSONResponse|Response|ORJSONResponse|StreamingResponse|HTMLResponse|PlainTextResponse|RedirectResponse|FileResponse)$/;

const DUMP_METHODS = new Set(["model_dump", "dict", "json", "model_dump_json", "to_dict"]);

/**
 * SFA007. Returning a row as it is stored sends every column to the client,
 * password hashes and internal flags included. Flags route handlers with no
 * response model (no `response_model=`, or `response_model=None`, and no
 * class return annotation) that return `obj.__dict__` or `vars(obj)`, or
 * return a table model (fetched by the ORM, its `model_dump()`, or a
 * parameter typed with it) whose class in the scanned files has a password,
 * secret, token or key column; and routes whose response model is such a
 * table model. Does not flag table models without sensitive columns, models
 * it cannot see, or responses filtered by a separate output model.
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
        report(declared.node, `\`${route.name}\` uses table model \`${declared.model}\` as its response model`, {
          condition: { kind: "sensitive-table-model", model: declared.model },
        });
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

function hasResponseModel(file: FileContext, route: Route): boolean {
  const option = route.options.get("response_model");
  if (option) return option.text !== "None";
  const annotation = route.fn.child("return_type");
  if (!annotation) return false;
  const base = describeAnnotation(file, annotation, 0).baseType;
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
