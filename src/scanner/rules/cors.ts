import type { SyntaxNode } from "../parse/syntax.js";
import { keywordArguments, keywordNode, positionalArguments, type FileContext } from "../analysis/context.js";
import { endsWithName } from "../analysis/names.js";
import { constantBoolean, constantString, sequenceElements } from "../analysis/values.js";
import type { Rule } from "../types.js";

/** Origin patterns that match every origin once `^`/`$` anchors are removed. */
const ANY_ORIGIN_PATTERNS = new Set([".*", ".+", "(.*)", "(.+)", "https?://.*", "https?://.+", "https://.*", "http://.*", "https://.+", "http://.+", "https?://(.*)", "[^/]+", "https?://[^/]+", "https://[^/]+"]);

/**
 * SFA009. With `allow_origins=["*"]` (or an origin regex matching anything)
 * and `allow_credentials=True`, Starlette echoes the caller's `Origin`, so
 * any website can read authenticated responses: high. Without credentials a
 * wildcard is a smaller risk, still worth a look: low. Flags
 * `add_middleware(CORSMiddleware, ...)`, `Middleware(CORSMiddleware, ...)`
 * and `CORSMiddleware(app, ...)` with values resolved through variables and
 * module constants. Does not flag origins read from settings, which cannot
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
      const options = keywordArguments(call);
      const wildcard = wildcardOption(file, options);
      if (!wildcard) continue;
      const credentials = options.get("allow_credentials");
      const withCredentials = credentials !== undefined && constantBoolean(file, credentials) === true;
      const node = keywordNode(call, wildcard.option) ?? call;
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
function wildcardOption(file: FileContext, options: Map<string, SyntaxNode>): WildcardOption | null {
  const origins = options.get("allow_origins");
  if (origins) {
    const values = [constantString(file, origins), ...(sequenceElements(file, origins) ?? []).map((element) => constantString(file, element))];
    if (values.includes("*")) return { option: "allow_origins", problem: ANY_ORIGIN };
    // Sandboxed iframes and `file:` pages send `Origin: null`, so any site can obtain it.
    if (values.includes("null")) return { option: "allow_origins", problem: "allows the `null` origin, which any page can send from a sandboxed iframe" };
  }
  const pattern = options.get("allow_origin_regex");
  const regex = pattern ? constantString(file, pattern) : null;
  if (regex === null) return null;
  const unanchored = regex.replace(/^\^/, "").replace(/\$$/, "");
  if (ANY_ORIGIN_PATTERNS.has(unanchored)) return { option: "allow_origin_regex", problem: ANY_ORIGIN };
  if (hasOpenHostWildcard(unanchored)) {
    return { option: "allow_origin_regex", problem: "lets `.*` run into the host name, so look-alike hosts such as `evil-example.com` match" };
  }
  return null;
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
