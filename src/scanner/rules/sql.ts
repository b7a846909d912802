import type { SyntaxNode } from "../parse/syntax.js";
import { argumentAt, type FileContext } from "../analysis/context.js";
import { callsUnder, sourceParameter, type FlowOptions } from "../analysis/flow.js";
import type { Route } from "../analysis/routes.js";
import { stringShape, type StringShape } from "../analysis/values.js";
import type { Rule } from "../types.js";
import { excerpt, isStringParameter, metadataHasKeyword } from "./common.js";

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
 * must look like SQL. Does not flag constant SQL (including f-strings whose
 * inserted values are module constants), bound parameters (`text("... :id")`
 * with a dict), f-strings passed to logging, or SQL-like words in comments
 * and docstrings. In a route handler it also flags a statement that is a
 * client-supplied `str` parameter as a whole (`db.execute(text(q))`), passed
 * directly, through local variables or through `str()`, `strip()` and
 * similar calls.
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
    for (const call of file.nodes("call")) {
      const statement = sqlArgument(file, call);
      if (!statement) continue;
      const shape = stringShape(file, statement.node);
      if (!shape?.dynamic) continue;
      if (!statement.sqlText && !looksLikeSql(shape)) continue;
      reported.add(call.start);
      report(call, describe(call, statement.node, shape));
    }
    for (const route of file.routes) {
      for (const found of statementsFromClient(file, route)) {
        if (reported.has(found.call.start)) continue;
        reported.add(found.call.start);
        report(
          found.call,
          `\`${excerpt(found.call.child("function") ?? found.call, 40)}\` in \`${route.name}\` runs SQL text taken whole from the request value \`${found.source.text}\``,
        );
      }
    }
  },
};

/**
 * Calls that keep a string's text: a statement wrapped in them is still the
 * client's text. `text()` is not among them, so `db.execute(text(q))` is
 * reported once, at `text(q)`.
 */
const KEEPS_TEXT = new Set(["str", "strip", "lower", "upper", "replace"]);

const STATEMENT_FLOW: FlowOptions = {
  callEffect(_file, call) {
    const callee = call.child("function");
    const name = callee?.type === "attribute" ? callee.child("attribute")?.text : callee?.text;
    return name && KEEPS_TEXT.has(name) ? "propagate" : "stop";
  },
};

/** `fetch` is also an HTTP client method, so a bare request value passed to it is not taken as SQL. */
const NOT_SQL_ONLY = new Set(["fetch"]);

/** SQL calls in a route handler whose whole statement is a client-supplied string. */
function statementsFromClient(file: FileContext, route: Route): { call: SyntaxNode; source: SyntaxNode }[] {
  const sources = stringParameters(route);
  if (sources.size === 0) return [];
  const found: { call: SyntaxNode; source: SyntaxNode }[] = [];
  for (const call of callsUnder(route.fn.child("body"))) {
    const statement = sqlArgument(file, call);
    if (!statement) continue;
    const method = call.child("function")?.child("attribute")?.text;
    if (!statement.sqlText && method && NOT_SQL_ONLY.has(method)) continue;
    const source = sourceParameter(file, statement.node, sources, STATEMENT_FLOW);
    if (source) found.push({ call, source });
  }
  return found;
}

/** Route parameters that carry free text from the client, unconstrained by a pattern. */
function stringParameters(route: Route): Set<string> {
  const names = new Set<string>();
  for (const parameter of route.parameters) {
    if (parameter.dependency || parameter.isRequest) continue;
    if (!isStringParameter(parameter.baseType)) continue;
    if (metadataHasKeyword(parameter.metadata, ["pattern", "regex"])) continue;
    names.add(parameter.name);
  }
  return names;
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
