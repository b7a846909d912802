import type { SyntaxNode } from "../parse/syntax.js";
import { argumentAt, type FileContext } from "../analysis/context.js";
import { stringShape, type StringShape } from "../analysis/values.js";
import type { Rule } from "../types.js";
import { excerpt } from "./common.js";

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
 * and docstrings.
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
    for (const call of file.nodes("call")) {
      const statement = sqlArgument(file, call);
      if (!statement) continue;
      const shape = stringShape(file, statement.node);
      if (!shape?.dynamic) continue;
      if (!statement.sqlText && !looksLikeSql(shape)) continue;
      report(call, describe(call, statement.node, shape));
    }
  },
};

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
