import type { SyntaxNode } from "../parse/syntax.js";
import { argumentAt, keywordArguments, positionalArguments, unwrap, type FileContext } from "../analysis/context.js";
import { endsWithName } from "../analysis/names.js";
import {
  constantBoolean,
  constantString,
  keywordOptions,
  sequenceElements,
  type KeywordOption,
} from "../analysis/values.js";
import type { Rule } from "../types.js";

/** Origin patterns that match every origin once `^`/`$` anchors are removed. */
const ANY_ORIGIN_PATTERNS = new Set([".*", ".+", "(.*)", "(.+)", "https?://.*", "https?://.+", "https://.*", "http://.*", "https://.+", "http://.+", "https?://(.*)", "[^/]+", "https?://[^/]+", "https://[^/]+"]);

/**
 * SFA009. With `allow_origins=["*"]` (or an origin regex matching anything)
 * and `allow_credentials=True`, Starlette echoes the caller's `Origin`, so
 * any website can read authenticated responses: high. Without credentials a
 * wildcard is a smaller risk, still worth a look: low. Flags
 * `add_middleware(CORSMiddleware, ...)`, `Middleware(CORSMiddleware, ...)`
 * and `CORSMiddleware(app, ...)` with values resolved through variables,
 * module constants and `**` dict literals. Origins read from an environment
 * variable (`os.getenv("CORS_ORIGINS", "*").split(",")`, `os.environ.get`)
 * count by their default, because the default is what runs when the
 * variable is unset. Does not flag origins read from settings, which cannot
 * be checked statically, or regexes limited to a domain. Also flags
 * `allow_origins=["null"]` and origin regexes whose `.*` or `.+` in the host
 * is not followed by `\.`, at the same severities.
 */
export const corsRule: Rule = {
  id: "SFA009",
  title: "CORS allows any origin",
  cwe: "CWE-942",
  severity: "high",
  description:
    "A CORS policy that allows any origin, especially with credentials, lets any website make requests with the user's cookies or tokens and read the responses.",
  hint: "List exact origins (`https://app.example.com`) from validated settings, and never combine a wildcard with `allow_credentials=True`.",
  check(file, report) {
    for (const call of file.nodes("call")) {
      if (!configuresCors(file, call)) continue;
      const options = keywordOptions(file, call);
      const wildcard = wildcardOption(file, options);
      if (!wildcard) continue;
      const credentials = options.get("allow_credentials");
      const withCredentials = credentials !== undefined && constantBoolean(file, credentials.value) === true;
      const node = options.get(wildcard.option)?.node ?? call;
      if (withCredentials) {
        report(node, `CORS \`${wildcard.option}\` ${wildcard.problem}, and \`allow_credentials=True\` is set`);
      } else {
        report(node, `CORS \`${wildcard.option}\` ${wildcard.problem}`, { severity: "low" });
      }
    }
  },
};

function configuresCors(file: FileContext, call: SyntaxNode): boolean {
  const callee = file.calleeName(call);
  if (endsWithName(callee, "CORSMiddleware")) return true;
  if (!endsWithName(callee, "add_middleware") && !endsWithName(callee, "Middleware")) return false;
  const first = positionalArguments(call)[0] ?? keywordArguments(call).get("middleware_class") ?? keywordArguments(call).get("cls");
  return first !== undefined && endsWithName(file.qualified(first), "CORSMiddleware");
}

interface WildcardOption {
  option: "allow_origins" | "allow_origin_regex";
  /** Verb phrase for the message, naming the origins the option admits. */
  problem: string;
}

const ANY_ORIGIN = "allows any origin";

/** Find the option that admits any origin, the `null` origin or look-alike hosts; null when none does. */
function wildcardOption(file: FileContext, options: Map<string, KeywordOption>): WildcardOption | null {
  const origins = options.get("allow_origins")?.value;
  if (origins) {
    const values = [constantString(file, origins), ...(sequenceElements(file, origins) ?? []).map((element) => constantString(file, element))];
    if (values.includes("*")) return { option: "allow_origins", problem: ANY_ORIGIN };
    // Sandboxed iframes and `file:` pages send `Origin: null`, so any site can obtain it.
    if (values.includes("null")) return { option: "allow_origins", problem: "allows the `null` origin, which any page can send from a sandboxed iframe" };
    const fallback = environmentDefault(file, origins);
    const defaults = fallback?.value.split(",").map((origin) => origin.trim()) ?? [];
    if (fallback && defaults.includes("*")) {
      return { option: "allow_origins", problem: `${defaultPhrase(fallback)}, which allows any origin` };
    }
    if (fallback && defaults.includes("null")) {
      const problem = `${defaultPhrase(fallback)}, which allows the \`null\` origin that any page can send from a sandboxed iframe`;
      return { option: "allow_origins", problem };
    }
  }
  const pattern = options.get("allow_origin_regex")?.value;
  const fallback = pattern ? environmentDefault(file, pattern) : null;
  const regex = pattern ? (constantString(file, pattern) ?? fallback?.value ?? null) : null;
  if (regex === null) return null;
  const unanchored = regex.replace(/^\^/, "").replace(/\$$/, "");
  const prefix = fallback ? `${defaultPhrase(fallback)}, which ` : "";
  if (ANY_ORIGIN_PATTERNS.has(unanchored)) return { option: "allow_origin_regex", problem: `${prefix}${ANY_ORIGIN}` };
  if (hasOpenHostWildcard(unanchored)) {
    const problem = `${prefix}lets \`.*\` run into the host name, so look-alike hosts such as \`evil-example.com\` match`;
    return { option: "allow_origin_regex", problem };
  }
  return null;
}

/** An environment variable read with a constant default. */
interface EnvironmentDefault {
  /** The variable's name, or null when it is not a constant. */
  variable: string | null;
  value: string;
}

/** Functions that read an environment variable with an optional default: `(name, default=None)`. */
const ENVIRONMENT_READERS = new Set(["os.getenv", "os.environ.get"]);

/** String methods whose result keeps the origins of their receiver: `.split(",")`, `.strip()`. */
const KEEPS_ORIGINS = new Set(["split", "strip", "lower", "replace"]);

const MAX_DEPTH = 8;

/**
 * Find the constant default of an environment variable that `node` is read
 * from: `os.getenv("CORS_ORIGINS", "*")`, also behind `.split(",")`, in a
 * list (`[os.getenv(...)]`), in a comprehension over it, or as
 * `os.getenv(...) or "*"`. Returns null when there is no such read or its
 * default is not a constant string.
 */
function environmentDefault(file: FileContext, node: SyntaxNode, depth = 0): EnvironmentDefault | null {
  if (depth > MAX_DEPTH) return null;
  const value = file.resolve(node);
  const next = (child: SyntaxNode | null | undefined): EnvironmentDefault | null =>
    child ? environmentDefault(file, child, depth + 1) : null;

  if (value.type === "list" || value.type === "tuple" || value.type === "set") {
    for (const element of value.namedChildren) {
      const found = next(element);
      if (found) return found;
    }
    return null;
  }
  if (value.type === "list_comprehension" || value.type === "generator_expression") {
    const clause = value.children.find((child) => child.type === "for_in_clause");
    return next(clause?.child("right"));
  }

  if (value.type === "boolean_operator" && value.child("operator")?.text === "or") {
    // `os.getenv("CORS_ORIGINS") or "*"` falls back to "*" when the variable is unset or empty.
    const left = value.child("left");
    const right = value.child("right");
    const read = left ? environmentRead(file, left) : null;
    return read && right ? readWithDefault(file, read, right) : null;
  }

  if (value.type !== "call") return null;
  const callee = unwrap(value.child("function") as SyntaxNode);
  const method = callee.type === "attribute" ? callee.child("attribute")?.text : null;
  if (method && KEEPS_ORIGINS.has(method)) return next(callee.child("object"));
  const fallback = argumentAt(value, 1, "default");
  return environmentRead(file, value) && fallback ? readWithDefault(file, value, fallback) : null;
}

/** Describe the environment read `read` with the default `fallback`; null unless the default is a constant string. */
function readWithDefault(file: FileContext, read: SyntaxNode, fallback: SyntaxNode): EnvironmentDefault | null {
  const text = constantString(file, fallback);
  if (text === null) return null;
  const variable = argumentAt(read, 0, "key");
  return { variable: variable ? constantString(file, variable) : null, value: text };
}

/** Return `node` when it is an `os.getenv(...)` or `os.environ.get(...)` call, else null. */
function environmentRead(file: FileContext, node: SyntaxNode): SyntaxNode | null {
  const value = file.resolve(node);
  if (value.type !== "call") return null;
  const name = file.calleeName(value);
  return name && ENVIRONMENT_READERS.has(name) ? value : null;
}

/** Describe where a default comes from, for the message: ``defaults to `"*"` when `CORS_ORIGINS` is unset``. */
function defaultPhrase(fallback: EnvironmentDefault): string {
  const variable = fallback.variable === null ? "the environment variable" : `\`${fallback.variable}\``;
  return `defaults to \`${JSON.stringify(fallback.value)}\` when ${variable} is unset`;
}

/**
 * True when the host part of an origin regex (between `://` and the first
 * `/`) has `.*` or `.+` that is not directly followed by an escaped dot:
 * `https://.*example\.com` matches `https://evil-example.com` and
 * `https://example\.com.*` matches `https://example.com.evil.net`, while
 * `https://.*\.example\.com` only admits subdomains.
 */
function hasOpenHostWildcard(regex: string): boolean {
  const scheme = regex.indexOf("://");
  if (scheme === -1) return false;
  const afterScheme = regex.slice(scheme + 3);
  const slash = afterScheme.indexOf("/");
  const host = slash === -1 ? afterScheme : afterScheme.slice(0, slash);
  for (const match of host.matchAll(/(?<!\\)\.[*+]/g)) {
    if (!host.startsWith("\\.", match.index + 2)) return true;
  }
  return false;
}
