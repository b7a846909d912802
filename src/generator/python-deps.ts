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
 * carry security fixes or APIs the templates rely on; ceilings stop at the
 * next major release, which may change those APIs.
 */
export const PYTHON_REQUIREMENTS: readonly PythonRequirement[] = [
  // 0.132 brought strict_content_type and 401s from the security classes.
  { requirement: "fastapi>=0.132,<1", group: "runtime" },
  // Starlette 1.3.1 enforces multipart form limits.
  { requirement: "starlette>=1.3.1,<2", group: "runtime" },
  { requirement: "pydantic[email]>=2.11,<3", group: "runtime" },
  { requirement: "pydantic-settings>=2.10,<3", group: "runtime" },
  { requirement: "sqlalchemy>=2.0.40,<3", group: "runtime" },
  { requirement: "alembic>=1.16,<2", group: "runtime" },
  { requirement: "slowapi>=0.1.9,<0.2", group: "runtime" },
  { requirement: "limits>=5.0,<6", group: "runtime" },
  { requirement: "uvicorn[standard]>=0.35,<1", group: "runtime" },
  // PyJWT 2.13 fixes CVE-2026-48522 to CVE-2026-48526.
  { requirement: "pyjwt>=2.13,<3", group: "runtime", when: (o) => o.auth === "jwt" },
  { requirement: "pwdlib[argon2]>=0.2.1,<0.4", group: "runtime", when: (o) => o.auth === "jwt" },
  { requirement: "python-multipart>=0.0.20", group: "runtime", when: (o) => o.auth === "jwt" },
  { requirement: "psycopg[binary]>=3.2,<4", group: "runtime", when: (o) => o.db === "postgres" },
  { requirement: "redis>=6.0,<9", group: "runtime", when: (o) => o.rateLimitStorage === "redis" },
  { requirement: "pytest>=8.3", group: "dev" },
  { requirement: "httpx>=0.28", group: "dev" },
  { requirement: "ruff>=0.12", group: "dev" },
  { requirement: "bandit>=1.8", group: "dev" },
];

export function requirementsFor(options: ProjectOptions, group: PythonRequirement["group"]): string[] {
  return PYTHON_REQUIREMENTS.filter((item) => item.group === group)
    .filter((item) => item.when === undefined || item.when(options))
    .map((item) => item.requirement);
}
