import type { SyntaxNode } from "../parse/syntax.js";
import { argumentAt, unwrap, type FileContext } from "../analysis/context.js";
import { callsUnder, sourceParameter, type CallEffect, type FlowOptions } from "../analysis/flow.js";
import { isEnumClass, parameterKind } from "../analysis/parameter-types.js";
import type { Route } from "../analysis/routes.js";
import { isConstant, stringShape, type StringShape } from "../analysis/values.js";
import type { Rule } from "../types.js";
import { clientParameters, excerpt, metadataHasKeyword } from "./common.js";

/** Methods that run the SQL text given as their first argument. */
const EXECUTE_METHODS = new Set([
  "execute",
  "executemany",
  "executescript",
  "exec_driver_sql",
  "fetch",
  "fetchrow",
  "fetchval",
  "fetch_all",
  "fetch_one",
  "fetch_val",
  "raw",
  "mogrify",
  "read_sql",
  "read_sql_query",
]);

/** Functions that turn their first argument into an SQL statement. */
const SQL_TEXT_FUNCTIONS = new Set([
  "sqlalchemy.text",
  "sqlalchemy.sql.text",
  "sqlalchemy.sql.expression.text",
  "sqlmodel.text",
  "pandas.read_sql",
  "pandas.read_sql_query",
]);

const SQL_START = /^\s*\(?\s*(select|insert|update|delete|with|create|drop|alter|replace|merge|truncate|grant|revoke|pragma|exec|execute|call|show|describe|explain|upsert|copy|vacuum|set)\b/i;
const SQL_ANYWHERE = /\bselect\b[\s\S]*\bfrom\b|\binsert\s+into\b|\bupdate\b[\s\S]*\bset\b|\bdelete\s+from\b|\bwhere\b[\s\S]*=|\border\s+by\b/i;

/**
 * SFA006. SQL assembled from strings lets input change the statement itself.
 * Flags a statement built with an f-string, `%`, `.format()` or `+` from a
 * value that is not a constant, when it reaches `execute`-style methods
 * (`execute`, `executemany`, `exec_driver_sql`, asyncpg's `fetch*`, pandas'
 * `read_sql`) or SQLAlchemy's `text()`, directly or through local variables,
 * `+=` and module constants. For `execute`-style methods the constant text
 * must look like SQL. Does not flag constant SQL, bound parameters
 * (`text("... :id")` with a dict), f-strings passed to logging, or SQL-like
 * words in comments and docstrings. Constant SQL includes f-strings whose
 * inserted values are module constants or placeholder lists joined from
 * constants (`", ".join("?" * len(ids))`). Inserted values of a route
 * parameter typed `Literal[...]` or with a same-file `Enum` class
 * (`{sort}`, `{sort.value}`) are not flagged either.
 *
 * In a route handler it also flags SQL text that comes from the request
 * (`db.execute(text(q))`, `cursor.execute(body.sql)`). Request values are a
 * parameter that carries free text (see `parameterKind`) and its
 * attributes, and the `query_params`, `path_params`, `headers`, `cookies`,
 * `json()`, `form()` and `body()` of a `Request` parameter. They are
 * followed through local variables, `str()`, `strip()` and similar calls,
 * `.get()` lookups and `sep.join(...)`.
 */
export const sqlInjectionRule: Rule = {
  id: "SFA006",
  title: "SQL built from strings",
  cwe: "CWE-89",
  severity: "high",
  description:
    "SQL built with f-strings, `%`, `.format()` or concatenation lets request data change the statement: attackers can read, change or delete any row.",
  hint: "Use the ORM (`select(User).where(User.email == email)`) or bound parameters (`text(\"... WHERE id = :id\")` with `{\"id\": user_id}`); pick sort columns from an allowlist.",
  check(file, report) {
    const reported = new Set<number>();
    const routes = new Map(file.routes.map((route) => [route.fn, route]));
    for (const call of file.nodes("call")) {
      const statement = sqlArgument(file, call);
      if (!statement) continue;
      const shape = stringShape(file, statement.node);
      if (!shape?.dynamic) continue;
      if (!statement.sqlText && !looksLikeSql(shape)) continue;
      const risky = shape.inserted.filter((value) => !isAllowlistedValue(file, routes, value));
      if (shape.inserted.length > 0 && risky.length === 0) continue;
      reported.add(call.start);
      report(call, describe(call, statement.node, { ...shape, inserted: risky }));
    }
    for (const route of file.routes) {
      for (const found of statementsFromClient(file, route)) {
        if (reported.has(found.call.start)) continue;
        reported.add(found.call.start);
        report(
          found.call,
          `\`${excerpt(found.call.child("function") ?? found.call, 40)}\` in \`${route.name}\` runs SQL text from the request value \`${excerpt(requestValue(found.source), 40)}\``,
        );
      }
    }
  },
};

const ENUM_MEMBER_ATTRIBUTES = new Set(["value", "name"]);

const MAX_ALLOWLIST_DEPTH = 4;

/**
 * True for an inserted value that FastAPI limits to a fixed set: a route
 * parameter typed `Literal[...]`, or a same-file `Enum` class used as
 * `sort`, `sort.value` or `sort.name`. Local variables are followed, and
 * `sort or "name"` and `sort if sort else "name"` qualify when every
 * operand is such a value or a constant.
 */
function isAllowlistedValue(
  file: FileContext,
  routes: ReadonlyMap<SyntaxNode, Route>,
  node: SyntaxNode,
  depth = 0,
): boolean {
  if (depth > MAX_ALLOWLIST_DEPTH) return false;
  let value = file.resolve(node);
  const operands = fallbackOperands(value);
  if (operands) {
    return operands.every(
      (operand) => isConstant(file, operand) || isAllowlistedValue(file, routes, operand, depth + 1),
    );
  }
  let member = false;
  if (value.type === "attribute" && ENUM_MEMBER_ATTRIBUTES.has(value.child("attribute")?.text ?? "")) {
    value = unwrap(value.child("object") as SyntaxNode);
    member = true;
  }
  if (value.type !== "identifier") return false;
  const binding = file.bindingOf(value);
  if (binding?.kind !== "parameter") return false;
  const fn = file.enclosingFunction(binding.node);
  if (fn && isEnumMethodSelf(file, fn, value.text)) return true;
  const parameter = fn ? routes.get(fn)?.parameters.find((candidate) => candidate.name === value.text) : undefined;
  if (!parameter || parameter.dependency) return false;
  const kind = parameterKind(file, parameter);
  return kind === "enum" || (kind === "literal" && !member);
}

/**
 * True when `name` is the first parameter (`self`) of a method of an `Enum`
 * class defined in this file, so that it can only be one of the members.
 */
function isEnumMethodSelf(file: FileContext, fn: SyntaxNode, name: string): boolean {
  const first = fn.child("parameters")?.firstNamed;
  if (first?.type !== "identifier" || first.text !== name) return false;
  let owner = fn.parent;
  if (owner?.type === "decorated_definition") owner = owner.parent;
  const cls = owner?.type === "block" ? owner.parent : null;
  const className = cls?.type === "class_definition" ? cls.child("name")?.text : undefined;
  return className !== undefined && isEnumClass(file, className);
}

/** Return the values that `a or b`, `a and b` and `a if c else b` may take, or null for other expressions. */
function fallbackOperands(node: SyntaxNode): SyntaxNode[] | null {
  if (node.type === "boolean_operator") {
    const operands = [node.child("left"), node.child("right")];
    return operands.every((operand) => operand !== null) ? (operands as SyntaxNode[]) : null;
  }
  if (node.type === "conditional_expression") {
    const [consequence, , alternative] = node.namedChildren;
    return consequence && alternative ? [consequence, alternative] : null;
  }
  return null;
}

/**
 * Calls that keep a string's text: a statement wrapped in them is still the
 * client's text, and `sep.join(parts)` keeps the text of its parts. `text()`
 * is not among them, so `db.execute(text(q))` is reported once, at `text(q)`.
 */
const KEEPS_TEXT = new Set(["str", "strip", "lower", "upper", "replace", "join"]);

/** Lookups whose result comes from the receiver alone: `request.query_params.get("q")`, `body.get("sql")`. */
const LOOKUPS = new Set(["get", "getlist", "json", "form", "body"]);

/** `Request` attributes that contain what the client sent. */
const REQUEST_INPUTS = new Set(["query_params", "path_params", "headers", "cookies"]);

/** `Request` methods that return what the client sent. */
const REQUEST_READS = new Set(["json", "form", "body"]);

/** Decide whether a call's result carries request text, from its receiver and arguments or its receiver alone. */
function statementCallEffect(_file: FileContext, call: SyntaxNode): CallEffect {
  const callee = call.child("function");
  const name = callee?.type === "attribute" ? callee.child("attribute")?.text : callee?.text;
  if (name && KEEPS_TEXT.has(name)) return "propagate";
  return callee?.type === "attribute" && name && LOOKUPS.has(name) ? "receiver" : "stop";
}

/** True when a use of a `Request` parameter reads client input: `request.headers`, `request.json()`. */
function readsRequestInput(identifier: SyntaxNode): boolean {
  const attribute = identifier.parent;
  if (attribute?.type !== "attribute" || attribute.child("object") !== identifier) return false;
  const name = attribute.child("attribute")?.text ?? "";
  if (REQUEST_INPUTS.has(name)) return true;
  const call = attribute.parent;
  return REQUEST_READS.has(name) && call?.type === "call" && call.child("function") === attribute;
}

/** `fetch` is also an HTTP client method, so a bare request value passed to it is not taken as SQL. */
const NOT_SQL_ONLY = new Set(["fetch"]);

/** SQL calls in a route handler whose statement text comes from the request. */
function statementsFromClient(file: FileContext, route: Route): { call: SyntaxNode; source: SyntaxNode }[] {
  const texts = textParameters(file, route);
  const requests = new Set(route.parameters.filter((parameter) => parameter.isRequest).map((parameter) => parameter.name));
  if (texts.size === 0 && requests.size === 0) return [];
  const sources = new Set([...texts, ...requests]);
  const flow: FlowOptions = {
    callEffect: statementCallEffect,
    acceptSource: (identifier) => !requests.has(identifier.text) || readsRequestInput(identifier),
  };
  const found: { call: SyntaxNode; source: SyntaxNode }[] = [];
  for (const call of callsUnder(route.fn.child("body"))) {
    const statement = sqlArgument(file, call);
    if (!statement) continue;
    const method = call.child("function")?.child("attribute")?.text;
    if (!statement.sqlText && method && NOT_SQL_ONLY.has(method)) continue;
    const source = sourceParameter(file, statement.node, sources, flow);
    if (source) found.push({ call, source });
  }
  return found;
}

/**
 * Route parameters that carry free text from the client: not dependencies
 * or injected objects, not constrained by `pattern=`, and not typed as a
 * number, UUID, date, `Literal` or same-file `Enum`. Request models count,
 * because their fields are client text.
 */
export function textParameters(file: FileContext, route: Route): Set<string> {
  const names = new Set<string>();
  const candidates = clientParameters(route);
  for (const parameter of route.parameters) {
    if (!candidates.has(parameter.name)) continue;
    if (metadataHasKeyword(parameter.metadata, ["pattern", "regex"])) continue;
    if (parameterKind(file, parameter) !== "text") continue;
    names.add(parameter.name);
  }
  return names;
}

/** Climb from a source identifier to the request expression it starts: `body.sql`, `request.query_params["q"]`. */
export function requestValue(source: SyntaxNode): SyntaxNode {
  let node = source;
  for (let parent = node.parent; parent; parent = node.parent) {
    const isSubscript = parent.type === "subscript" && parent.child("value") === node;
    const isAttribute = parent.type === "attribute" && parent.child("object") === node;
    if (!isSubscript && !isAttribute) break;
    const call = parent.parent;
    const isMethod = isAttribute && call?.type === "call" && call.child("function") === parent;
    if (!isMethod) {
      node = parent;
      continue;
    }
    const method = parent.child("attribute")?.text ?? "";
    if (!LOOKUPS.has(method) || !call) break;
    node = call;
  }
  return node;
}

interface SqlArgument {
  node: SyntaxNode;
  /** True when the callee only ever takes SQL, so the text need not look like SQL. */
  sqlText: boolean;
}

function sqlArgument(file: FileContext, call: SyntaxNode): SqlArgument | null {
  const qualified = file.calleeName(call);
  if (qualified && SQL_TEXT_FUNCTIONS.has(qualified)) {
    const node = argumentAt(call, 0, qualified.endsWith("text") ? "text" : "sql");
    return node ? { node, sqlText: true } : null;
  }
  const callee = call.child("function");
  if (callee?.type !== "attribute") return null;
  if (!EXECUTE_METHODS.has(callee.child("attribute")?.text ?? "")) return null;
  const node = argumentAt(call, 0, "statement") ?? argumentAt(call, 0, "query") ?? argumentAt(call, 0, "sql");
  return node ? { node, sqlText: false } : null;
}

function looksLikeSql(shape: StringShape): boolean {
  return SQL_START.test(shape.literal) || SQL_ANYWHERE.test(shape.literal);
}

const BUILD_WORDS: Record<string, string> = {
  "f-string": "an f-string",
  "%-formatting": "`%` formatting",
  ".format()": "`.format()`",
  concatenation: "string concatenation",
};

function describe(call: SyntaxNode, argument: SyntaxNode, shape: StringShape): string {
  const sink = excerpt(call.child("function") ?? call, 40);
  const how = BUILD_WORDS[shape.how ?? "concatenation"];
  const inserted = shape.inserted[0];
  const what = inserted ? ` that inserts \`${excerpt(inserted, 30)}\`` : "";
  const via = argument.type === "identifier" ? ` (through \`${argument.text}\`)` : "";
  return `\`${sink}\` runs SQL built with ${how}${what}${via}`;
}
