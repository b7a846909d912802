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
 * be checked statically, or regexes limited to a domain.
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
      const node = keywordNode(call, wildcard) ?? call;
      if (withCredentials) {
        report(node, `CORS \`${wildcard}\` allows any origin together with \`allow_credentials=True\``);
      } else {
        report(node, `CORS \`${wildcard}\` allows any origin`, { severity: "low" });
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

/** The name of the option that admits every origin, or null. */
function wildcardOption(file: FileContext, options: Map<string, SyntaxNode>): string | null {
  const origins = options.get("allow_origins");
  if (origins) {
    if (constantString(file, origins) === "*") return "allow_origins";
    const elements = sequenceElements(file, origins) ?? [];
    if (elements.some((element) => constantString(file, element) === "*")) return "allow_origins";
  }
  const pattern = options.get("allow_origin_regex");
  const regex = pattern ? constantString(file, pattern) : null;
  if (regex !== null && ANY_ORIGIN_PATTERNS.has(regex.replace(/^\^/, "").replace(/\$$/, ""))) {
    return "allow_origin_regex";
  }
  return null;
}
