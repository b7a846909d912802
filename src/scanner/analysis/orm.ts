import type { SyntaxNode } from "../parse/syntax.js";
import { positionalArguments, unwrap, type FileContext } from "./context.js";
import { dottedName } from "./names.js";

const SINGLE_LOOKUPS = new Set(["get", "aget", "get_or_none", "get_or_404"]);
const MODEL_METHODS = new Set(["get", "aget", "get_or_none", "find_one", "find", "filter", "all", "first", "objects"]);
const RUNNERS = new Set(["exec", "execute", "scalars", "scalar", "scalar_one", "scalar_one_or_none"]);
const NOT_MODELS = /^(HTTPException|Depends|Query|Path|Body|Form|Header|Cookie|File|Security|JSONResponse|Response)$/;

/** True for a name that looks like an ORM model class: `Document`, `UserAccount`. */
export function isModelName(name: string): boolean {
  return /^[A-Z][A-Za-z0-9]*$/.test(name) && !NOT_MODELS.test(name);
}

function unwrapAwait(node: SyntaxNode): SyntaxNode {
  const inner = unwrap(node);
  return inner.type === "await" && inner.firstNamed ? unwrap(inner.firstNamed) : inner;
}

/**
 * The model class an ORM expression fetches, following variables:
 * `session.get(User, id)`, `db.query(User).filter(...).first()`,
 * `session.exec(select(User).where(...)).one()`, `User.get(id=...)`.
 */
export function fetchedModel(file: FileContext, node: SyntaxNode, depth = 0): string | null {
  if (depth > 8) return null;
  const value = unwrapAwait(file.resolve(node));
  if (value.type !== "call") return null;
  const callee = value.child("function");
  if (!callee) return null;
  const name = dottedName(callee) ?? "";
  const first = positionalArguments(value)[0];
  if (/(^|\.)(query|select)$/.test(name) && first?.type === "identifier" && isModelName(first.text)) {
    return first.text;
  }
  if (callee.type !== "attribute") return null;
  const method = callee.child("attribute")?.text ?? "";
  const object = callee.child("object");
  const positional = positionalArguments(value);
  if (SINGLE_LOOKUPS.has(method) && positional.length >= 2 && first?.type === "identifier" && isModelName(first.text)) {
    return first.text;
  }
  if (object?.type === "identifier" && isModelName(object.text) && MODEL_METHODS.has(method)) {
    return object.text;
  }
  if (RUNNERS.has(method) && first) {
    const inner = fetchedModel(file, first, depth + 1);
    if (inner) return inner;
  }
  return object ? fetchedModel(file, object, depth + 1) : null;
}
