import type { ProjectOptions } from "./options.js";

/** A Python requirement written into a generated pyproject.toml. */
export interface PythonRequirement {
  requirement: string;
  group: "runtime" | "dev";
  /** Present only when this returns true for the chosen options. */
  when?: (options: ProjectOptions) => boolean;
}

/**
 * The one table of Python dependency versions for generated projects. Floors
 * carry security fixes or APIs the templates rely on. The test matrix installs
 * the newest releases, so the floors themselves are not exercised.
 */
const servesModels = (o: ProjectOptions): boolean => o.llm || o.model !== "none";

export const PYTHON_REQUIREMENTS: readonly PythonRequirement[] = [
  // 0.135 brought fastapi.sse (the LLM stream) on top of 0.132's
  // strict_content_type and 401s from the security classes.
  { requirement: "fastapi>=0.135", group: "runtime" },
  // Starlette 1.3.1 enforces multipart form limits.
  { requirement: "starlette>=1.3.1", group: "runtime" },
  { requirement: "pydantic>=2.11", group: "runtime" },
  { requirement: "pydantic-settings>=2.9", group: "runtime" },
  { requirement: "email-validator>=2.2", group: "runtime", when: (o) => o.auth === "jwt" },
  { requirement: "python-multipart>=0.0.20", group: "runtime", when: (o) => o.auth === "jwt" },
  { requirement: "sqlalchemy>=2.0.40", group: "runtime" },
  { requirement: "alembic>=1.15", group: "runtime" },
  // PyJWT 2.13 fixes CVE-2026-48522 to CVE-2026-48526.
  { requirement: "pyjwt>=2.13", group: "runtime", when: (o) => o.auth === "jwt" },
  { requirement: "pwdlib[argon2]>=0.3", group: "runtime", when: (o) => o.auth === "jwt" },
  { requirement: "slowapi>=0.1.9", group: "runtime" },
  { requirement: "limits>=4.0", group: "runtime" },
  { requirement: "uvicorn[standard]>=0.34", group: "runtime" },
  { requirement: "psycopg[binary]>=3.2", group: "runtime", when: (o) => o.db === "postgres" },
  { requirement: "redis>=5.2", group: "runtime", when: (o) => o.rateLimitStorage === "redis" },
  { requirement: "anyio>=4.0", group: "runtime", when: servesModels },
  // torch 2.10 deprecates TorchScript loading; the templates never use it.
  { requirement: "torch>=2.10", group: "runtime", when: servesModels },
  // 5.20 added apply_chat_template(sanitize_control_tokens=True); 5.5 fixed
  // the trust_remote_code bypasses CVE-2026-4372 and CVE-2026-5241.
  { requirement: "transformers>=5.20", group: "runtime", when: (o) => o.llm },
  { requirement: "transformers>=5.5", group: "runtime", when: (o) => !o.llm && o.model === "transformers" },
  { requirement: "huggingface-hub>=1.0", group: "runtime", when: (o) => o.llm || o.model === "transformers" },
  { requirement: "httpx>=0.28", group: "runtime", when: (o) => o.llm },
  { requirement: "safetensors>=0.4.3", group: "runtime", when: (o) => o.model === "safetensors" },
  { requirement: "pytest>=8.3", group: "dev" },
  { requirement: "httpx>=0.28", group: "dev", when: (o) => !o.llm },
  { requirement: "ruff>=0.9", group: "dev" },
  { requirement: "bandit>=1.8", group: "dev" },
  { requirement: "hypothesis>=6.100", group: "dev", when: (o) => o.llm },
  { requirement: "tokenizers>=0.23", group: "dev", when: (o) => o.llm || o.model === "transformers" },
];

export function requirementsFor(options: ProjectOptions, group: PythonRequirement["group"]): string[] {
  return PYTHON_REQUIREMENTS.filter((item) => item.group === group)
    .filter((item) => item.when === undefined || item.when(options))
    .map((item) => item.requirement);
}

/** Return the PEP 503 names of every distribution a generated project may depend on. */
export function dependencyNames(): Set<string> {
  const names = PYTHON_REQUIREMENTS.map((item) => /^[A-Za-z0-9._-]+/.exec(item.requirement)?.[0] ?? "");
  return new Set(names.map((name) => name.toLowerCase().replace(/[-_.]+/g, "-")));
}
