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
  snippets: ["middleware", "error-log", "handlers"],
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

/** Token budgets, message checks and output redaction for a project this tool did not generate. */
export const LLM_KIT: Kit = {
  snippets: ["redaction", "token-bucket", "llm-guards", "llm-budget"],
  installSnippet: "llm-budget",
  installFunction: "install_llm_guards",
  fields: [
    { name: "LLM_TOKEN_STORAGE_URI", annotation: "TokenStorageUri", defaultValue: '"memory://"' },
    { name: "LLM_TOKEN_BUDGET", annotation: "TokenCount", defaultValue: "20_000" },
    { name: "LLM_TOKENS_PER_MINUTE", annotation: "TokenCount", defaultValue: "10_000" },
    { name: "LLM_TOKEN_BUCKET_MAX_KEYS", annotation: "TokenCount", defaultValue: "10_000" },
    { name: "LLM_REDACT_PATTERNS", annotation: "RedactionPatterns", defaultValue: "[]" },
  ],
  installArguments: (settings, field) => [
    `storage_uri=${settings}.${field("LLM_TOKEN_STORAGE_URI")}`,
    `token_budget=${settings}.${field("LLM_TOKEN_BUDGET")}`,
    `tokens_per_minute=${settings}.${field("LLM_TOKENS_PER_MINUTE")}`,
    `max_keys=${settings}.${field("LLM_TOKEN_BUCKET_MAX_KEYS")}`,
    `redact_patterns=${settings}.${field("LLM_REDACT_PATTERNS")}`,
  ],
  packages: [],
};

/** Inference limits and safe model loading checks for a project this tool did not generate. */
export const MODEL_KIT: Kit = {
  snippets: ["inference", "pretrained", "model-serving"],
  installSnippet: "model-serving",
  installFunction: "install_model_limits",
  fields: [
    { name: "MODEL_MAX_CONCURRENCY", annotation: "Concurrency", defaultValue: "2" },
    { name: "MODEL_QUEUE_TIMEOUT_SECONDS", annotation: "QueueTimeoutSeconds", defaultValue: "30.0" },
  ],
  installArguments: (settings, field) => [
    `max_concurrency=${settings}.${field("MODEL_MAX_CONCURRENCY")}`,
    `queue_timeout_seconds=${settings}.${field("MODEL_QUEUE_TIMEOUT_SECONDS")}`,
  ],
  packages: ["anyio", "huggingface-hub"],
};
