import type { FileContext } from "../analysis/context.js";
import { keywordArguments } from "../analysis/context.js";
import { dottedName } from "../analysis/names.js";
import { routeDependencies, type Route } from "../analysis/routes.js";
import type { Rule } from "../types.js";
import { calleeNames, extraDecorators, routeLabel } from "./common.js";

/** Path segments of login and token endpoints. */
const LOGIN_SEGMENT = /^(log-?in|sign-?in|token|access-token|authenticate)$/i;

/** Names of limiter decorators, dependencies and calls (`limit` after `_`, so `query.limit` does not count). */
const LIMITER_NAME = /rate.?limit|limiter|throttl|[a-z0-9]_limit\b|login_?(rate|attempt)|failed_?attempt|lockout|brute/i;

/** Form and credential classes that only a password login uses. */
const PASSWORD_FORMS = new Set(["OAuth2PasswordRequestForm", "OAuth2PasswordRequestFormStrict", "HTTPBasicCredentials"]);

/**
 * SFA004. A login or token endpoint without a rate limit allows password
 * guessing and credential stuffing at full speed. Flags `POST` routes whose
 * path ends in `login`, `signin`, `token`, `access-token` or `authenticate`,
 * or that take `OAuth2PasswordRequestForm`, unless a limit is visible. A
 * limit is a decorator such as slowapi's `@limiter.limit(...)`, or a
 * dependency of the route, its router or app whose name mentions a limit or
 * throttle (`Depends(RateLimiter(...))`). A call in the handler to such a
 * function counts too, and so does a slowapi `Limiter(default_limits=...)`
 * anywhere in the scanned files.
 * Does not see dependencies added by `include_router` in another file;
 * suppress with a reason in that case.
 */
export const loginRateLimitRule: Rule = {
  id: "SFA004",
  title: "Login or token route without rate limit",
  cwe: "CWE-307",
  severity: "medium",
  description:
    "A login or token endpoint without a rate limit lets attackers guess passwords and replay leaked credentials at full speed.",
  hint: "Add `@limiter.limit(\"5/minute\")` (slowapi, with a `request: Request` parameter and shared storage) or a rate-limit dependency keyed by client IP and account.",
  check(file, report) {
    for (const route of file.routes) {
      if (!route.methods.includes("POST") || !isLoginRoute(route)) continue;
      if (hasRateLimit(file, route)) continue;
      report(route.fn.child("name") ?? route.fn, `Login route \`${routeLabel(route)}\` (\`${route.name}\`) has no rate limit`, {
        condition: { kind: "no-global-rate-limit" },
      });
    }
  },
};

function isLoginRoute(route: Route): boolean {
  const segments = (route.path ?? "").split("/").filter((segment) => segment !== "");
  const last = segments[segments.length - 1] ?? "";
  if (LOGIN_SEGMENT.test(last)) return true;
  return route.parameters.some((parameter) => PASSWORD_FORMS.has(parameter.baseType?.split(".").pop() ?? ""));
}

function hasRateLimit(file: FileContext, route: Route): boolean {
  for (const decorator of extraDecorators(route)) {
    const callee = decorator.type === "call" ? decorator.child("function") : decorator;
    const name = callee ? dottedName(callee) : null;
    if (name && (LIMITER_NAME.test(name) || /\.(limit|shared_limit)$/.test(name))) return true;
  }
  if (routeDependencies(file, route).some((name) => LIMITER_NAME.test(name))) return true;
  return calleeNames(route.fn.child("body")).some((name) => LIMITER_NAME.test(name));
}

/**
 * True when the file configures a limit for every route: slowapi's
 * `Limiter(default_limits=...)` or `application_limits=`.
 */
export function hasGlobalRateLimit(file: FileContext): boolean {
  return file.nodes("call").some((call) => {
    const callee = file.calleeName(call);
    if (!callee || !/(^|\.)Limiter$/.test(callee)) return false;
    const options = keywordArguments(call);
    return options.has("default_limits") || options.has("application_limits");
  });
}
