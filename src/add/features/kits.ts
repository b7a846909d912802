import { quoteString } from "../../generator/escape.js";
import type { Kit } from "../existing.js";
import { findInCode } from "../search.js";

/** Rate limiting for a project this tool did not generate. */
export const RATE_LIMIT_KIT: Kit = {
  snippets: ["limiter"],
  installSnippet: "limiter",
  installFunction: "install_rate_limit",
  fields: [
    { name: "RATE_LIMIT_STORAGE_URI", annotation: "RateLimitStorageUri", defaultValue: '"memory://"' },
    { name: "DEFAULT_RATE_LIMIT", annotation: "RateLimit", defaultValue: '"100/minute"' },
  ],
  installArguments: (settings, field) => [
    `storage_uri=${settings}.${field("RATE_LIMIT_STORAGE_URI")}`,
    `default_limit=${settings}.${field("DEFAULT_RATE_LIMIT")}`,
  ],
  packages: ["limits"],
  findEquivalent: async (project) => {
    const place = await findInCode(project, /^\s*(from|import)\s+(slowapi|fastapi_limiter)\b/);
    return place ? `${place} imports a rate limiter` : null;
  },
};

/** CORS for a project this tool did not generate. */
export const CORS_KIT: Kit = {
  snippets: ["cors"],
  installSnippet: "cors",
  installFunction: "install_cors",
  fields: [{ name: "CORS_ORIGINS", annotation: "CorsOrigins", defaultValue: "[]" }],
  installArguments: (settings, field) => [`origins=${settings}.${field("CORS_ORIGINS")}`],
  packages: [],
  findEquivalent: async (project) => {
    const place = await findInCode(project, /\bCORSMiddleware\b/);
    return place ? `${place} configures CORSMiddleware` : null;
  },
};

/** Error handlers, security headers and the body size limit for a project this tool did not generate. */
export const ERRORS_KIT: Kit = {
  snippets: ["middleware", "handlers"],
  installSnippet: "handlers",
  installFunction: "install_errors",
  fields: [
    { name: "MAX_REQUEST_BODY_BYTES", annotation: "BodyLimit", defaultValue: "1_048_576" },
    { name: "HSTS_ENABLED", annotation: "bool", defaultValue: "True" },
  ],
  installArguments: (settings, field) => [
    `hsts=${settings}.${field("HSTS_ENABLED")}`,
    `max_body_bytes=${settings}.${field("MAX_REQUEST_BODY_BYTES")}`,
  ],
  packages: [],
  findEquivalent: async (project) => {
    const place = await findInCode(project, /(add_exception_handler|exception_handler)\(\s*Exception\b/);
    return place ? `${place} registers a handler for every Exception` : null;
  },
};

/** JWT bearer tokens and password hashing for a project this tool did not generate. */
export function authKit(projectName: string): Kit {
  const name = quoteString(projectName);
  return {
    snippets: ["tokens"],
    installSnippet: "tokens",
    installFunction: "install_auth",
    fields: [
      { name: "SECRET_KEY", annotation: "SecretKey" },
      { name: "JWT_AUDIENCE", annotation: "str", defaultValue: name },
      { name: "JWT_ISSUER", annotation: "str", defaultValue: name },
      { name: "ACCESS_TOKEN_EXPIRE_MINUTES", annotation: "TokenLifetimeMinutes", defaultValue: "15" },
    ],
    installArguments: (settings, field) => [
      `secret_key=${settings}.${field("SECRET_KEY")}`,
      `audience=${settings}.${field("JWT_AUDIENCE")}`,
      `issuer=${settings}.${field("JWT_ISSUER")}`,
      `expire_minutes=${settings}.${field("ACCESS_TOKEN_EXPIRE_MINUTES")}`,
    ],
    packages: ["pyjwt", "pwdlib"],
    findEquivalent: async (project) => {
      const place = await findInCode(
        project,
        /^\s*(from|import)\s+(jwt|jose|authlib|fastapi_users)\b|\b(OAuth2PasswordBearer|HTTPBearer)\b/,
      );
      return place ? `${place} already handles authentication` : null;
    },
  };
}
