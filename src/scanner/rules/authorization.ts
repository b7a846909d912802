import { descendants, type SyntaxNode } from "../parse/syntax.js";
import { positionalArguments, type FileContext } from "../analysis/context.js";
import { dottedName } from "../analysis/names.js";
import { isModelName } from "../analysis/orm.js";
import { routeDependencies, type Route } from "../analysis/routes.js";
import type { Rule } from "../types.js";
import { calleeNames } from "./common.js";

const ID_PARAMETER = /^(id|pk|uuid)$|_(id|pk|uuid)$|[a-z]Id$/;

/** Methods that fetch one object by key or filter. */
const LOOKUP_METHODS = new Set([
  "get",
  "aget",
  "get_or_none",
  "get_or_404",
  "find",
  "find_one",
  "find_by_id",
  "filter",
  "filter_by",
  "where",
]);

/** Columns and keywords that tie a row to its owner or tenant. */
export const OWNER_NAME = /owner|user_?id|tenant|org(anization)?_?id|account_?id|created_by|author|team_?id|workspace|member|customer_?id|group_?id/i;

const AUTH_DEPENDENCY = /user|principal|identity|account|auth|token|claims|current|member|api_?key|subject/i;
const PERMISSION_DEPENDENCY = /owned|owner|authori[sz]|permission|admin|superuser|staff|role|scope|access|acl|policy/i;
const PERMISSION_CALL = /authori[sz]|permission|(^|[._])(can|has|check|ensure|require|assert|enforce)_|is_owner|is_admin|policy|acl|owned/i;
const LOGGING_CALL = /(^|\.)(log|logger|logging|print|debug|info|warning|warn|error|exception)(\.|$)/i;

/**
 * SFA005. Fetching an object by an id taken from the URL without checking
 * who owns it lets any caller read or change other users' data (IDOR).
 * Flags a route with an id-like path parameter (`id`, `*_id`, `*_uuid`) that
 * looks the object up with `session.get(Model, id)`, `Model.get(id)`, or a
 * `filter`/`filter_by`/`where` on that id, when the handler shows no sign of
 * authorization: no comparison or filter on an owner, user, tenant or
 * organisation column, no use of a current-user dependency after the fetch
 * other than logging, no call to a permission check, and no ownership,
 * admin or permission dependency (including `Annotated` aliases such as
 * `OwnedDocument` or `Depends(get_owned_document)`). Lookups in helper
 * functions are not followed. When the model class is visible in the scanned
 * files and has no owner-like column and is not itself a user or account
 * model, the data is treated as public and nothing is reported.
 */
export const objectAuthorizationRule: Rule = {
  id: "SFA005",
  title: "Object fetched by id without an owner check",
  cwe: "CWE-862",
  relatedCwes: ["CWE-639"],
  severity: "high",
  description:
    "A handler that fetches an object by a client-supplied id without checking ownership or permission lets any caller read or modify other users' data (insecure direct object reference).",
  hint: "Filter by owner in the query (`Model.owner_id == current_user.id`), or resolve the object through an ownership dependency, and answer 404 for both missing and foreign objects.",
  check(file, report) {
    for (const route of file.routes) {
      const ids = new Set(
        route.parameters
          .filter((parameter) => parameter.inPath && !parameter.dependency && ID_PARAMETER.test(parameter.name))
          .map((parameter) => parameter.name),
      );
      if (ids.size === 0) continue;
      const lookup = findLookup(file, route, ids);
      if (!lookup || hasAuthorization(file, route, ids)) continue;
      report(
        lookup.call,
        `\`${route.name}\` fetches \`${lookup.model}\` by the client-supplied \`${lookup.id}\` with no owner or permission check`,
        { condition: { kind: "private-model", model: lookup.model } },
      );
    }
  },
};

interface Lookup {
  call: SyntaxNode;
  model: string;
  id: string;
}

function findLookup(file: FileContext, route: Route, ids: Set<string>): Lookup | null {
  const body = route.fn.child("body");
  if (!body) return null;
  for (const node of descendants(body)) {
    if (node.type !== "identifier" || !ids.has(node.text)) continue;
    if (file.bindingOf(node)?.kind !== "parameter") continue;
    const lookup = lookupAround(node);
    if (lookup) return { ...lookup, id: node.text };
  }
  return null;
}

/** Recognise the three lookup shapes around one use of the id. */
function lookupAround(id: SyntaxNode): Omit<Lookup, "id"> | null {
  const parent = id.parent;
  if (!parent) return null;
  if (parent.type === "argument_list") return positionalLookup(id, parent);
  if (parent.type === "keyword_argument" && parent.child("value") === id) {
    const call = parent.parent?.parent;
    return call?.type === "call" ? lookupCall(call, null) : null;
  }
  if (parent.type === "comparison_operator") {
    const column = parent.namedChildren.find((child) => child !== id && child.type === "attribute");
    const model = column?.child("object");
    const call = enclosingCall(parent);
    if (!call || model?.type !== "identifier" || !isModelName(model.text)) return null;
    return lookupCall(call, model.text);
  }
  return null;
}

/** `session.get(Model, id)` or `Model.get(id)`. */
function positionalLookup(id: SyntaxNode, list: SyntaxNode): Omit<Lookup, "id"> | null {
  const call = list.parent;
  if (call?.type !== "call") return null;
  const positional = positionalArguments(call);
  const callee = call.child("function");
  if (callee?.type !== "attribute" || !LOOKUP_METHODS.has(callee.child("attribute")?.text ?? "")) return null;
  const first = positional[0];
  if (positional[1] === id && first?.type === "identifier" && isModelName(first.text)) {
    return { call: outermostCall(call), model: first.text };
  }
  return lookupCall(call, null);
}

/** A lookup method call with a model as receiver or in its chain (`query(Model)`, `select(Model)`). */
function lookupCall(call: SyntaxNode, model: string | null): Omit<Lookup, "id"> | null {
  const callee = call.child("function");
  if (callee?.type !== "attribute" || !LOOKUP_METHODS.has(callee.child("attribute")?.text ?? "")) return null;
  const found = model ?? modelInChain(callee.child("object"));
  return found ? { call: outermostCall(call), model: found } : null;
}

function modelInChain(node: SyntaxNode | null): string | null {
  let current = node;
  while (current) {
    if (current.type === "identifier") return isModelName(current.text) ? current.text : null;
    if (current.type === "call") {
      const first = positionalArguments(current)[0];
      const name = current.child("function") ? dottedName(current.child("function") as SyntaxNode) : null;
      if (first?.type === "identifier" && isModelName(first.text) && /(^|\.)(query|select)$/.test(name ?? "")) {
        return first.text;
      }
      current = current.child("function");
    } else if (current.type === "attribute") {
      current = current.child("object");
    } else {
      return null;
    }
  }
  return null;
}

function enclosingCall(node: SyntaxNode): SyntaxNode | null {
  let current = node.parent;
  while (current && current.type !== "call") {
    if (current.type.endsWith("statement") || current.type === "block") return null;
    current = current.parent;
  }
  return current;
}

/** The whole chained expression, so the report shows `db.query(...).filter(...).first()`. */
function outermostCall(call: SyntaxNode): SyntaxNode {
  let current = call;
  for (;;) {
    const parent = current.parent;
    if (parent?.type === "attribute" && parent.parent?.type === "call") current = parent.parent;
    else if (parent?.type === "await") current = parent;
    else return current;
  }
}

function hasAuthorization(file: FileContext, route: Route, ids: Set<string>): boolean {
  const dependencies = routeDependencies(file, route);
  if (dependencies.some((name) => PERMISSION_DEPENDENCY.test(name))) return true;
  if (route.parameters.some((parameter) => /Owned|Owner/.test(parameter.baseType ?? ""))) return true;
  const body = route.fn.child("body");
  if (!body) return false;
  if (calleeNames(body).some((name) => PERMISSION_CALL.test(name))) return true;
  const authNames = new Set(
    route.parameters
      .filter((parameter) => parameter.dependency && AUTH_DEPENDENCY.test(`${parameter.dependency} ${parameter.baseType ?? ""} ${parameter.name}`))
      .map((parameter) => parameter.name),
  );
  for (const node of descendants(body)) {
    if (node.type === "comparison_operator" && comparesOwner(node, ids)) return true;
    if (node.type === "keyword_argument" && OWNER_NAME.test(node.child("name")?.text ?? "")) return true;
    if (node.type === "identifier" && authNames.has(node.text) && !insideLogging(node)) return true;
  }
  return false;
}

/** True when a comparison involves an owner-like column other than the id parameter itself. */
function comparesOwner(comparison: SyntaxNode, ids: Set<string>): boolean {
  return comparison.namedChildren.some(
    (side) => !ids.has(side.text) && side.type === "attribute" && OWNER_NAME.test(side.child("attribute")?.text ?? ""),
  );
}

function insideLogging(node: SyntaxNode): boolean {
  let current = node.parent;
  while (current && !current.type.endsWith("statement")) {
    if (current.type === "call") {
      const name = current.child("function") ? dottedName(current.child("function") as SyntaxNode) : null;
      if (name && LOGGING_CALL.test(name)) return true;
    }
    current = current.parent;
  }
  return false;
}
