import { randomBytes } from "node:crypto";
import path from "node:path";
import { SNIPPETS_ROOT, TEMPLATES_ROOT } from "../paths.js";
import { loadCatalog } from "../snippets/catalog.js";
import { renderSnippets } from "../snippets/render.js";
import { createState, serializeState, STATE_FILE } from "../snippets/state.js";
import { quoteEnvValue, quoteJson } from "./escape.js";
import type { ProjectOptions } from "./options.js";
import { requirementsFor } from "./python-deps.js";
import { renderFolder, type PlannedFile } from "./render.js";

/** Everything the generator needs to know to build a project. */
export interface ProjectSpec {
  name: string;
  options: ProjectOptions;
  generatorVersion: string;
}

/**
 * Feature modules: each owns one folder under templates/ and decides whether
 * it is part of a project. Files of later features never replace earlier ones,
 * nor do they replace the security building blocks rendered from snippets/.
 */
const FEATURES: readonly { folder: string; enabled: (options: ProjectOptions) => boolean }[] = [
  { folder: "base", enabled: () => true },
  { folder: "auth-jwt", enabled: (options) => options.auth === "jwt" },
  { folder: "api-keys", enabled: (options) => usesApiKeys(options) },
  { folder: "inference", enabled: (options) => options.llm || options.model !== "none" },
  { folder: "llm", enabled: (options) => options.llm },
  { folder: "llm-auth-jwt", enabled: (options) => options.llm && options.auth === "jwt" },
  { folder: "llm-auth-none", enabled: (options) => options.llm && options.auth === "none" },
  { folder: "model-safetensors", enabled: (options) => options.model === "safetensors" },
  { folder: "model-transformers", enabled: (options) => options.model === "transformers" },
];

/** True when some route accepts service clients with an API key: LLM routes always, model routes without accounts. */
export function usesApiKeys(options: ProjectOptions): boolean {
  return options.llm || (options.model !== "none" && options.auth === "none");
}

const SECRET_KEY_BYTES = 48;

export function databaseUrl(spec: ProjectSpec): string {
  const database = spec.name.replaceAll("-", "_");
  return spec.options.db === "postgres"
    ? `postgresql+psycopg://postgres@127.0.0.1:5432/${database}`
    : `sqlite:///./${database}.db`;
}

export function rateLimitStorageUri(options: ProjectOptions): string {
  return options.rateLimitStorage === "redis" ? "redis://127.0.0.1:6379/0" : "memory://";
}

/** Values the templates see. Strings reach output only through escaping helpers. */
export function templateContext(spec: ProjectSpec): object {
  const { options } = spec;
  return {
    projectName: spec.name,
    packageName: spec.name.replaceAll("-", "_"),
    generatorVersion: spec.generatorVersion,
    authJwt: options.auth === "jwt",
    postgres: options.db === "postgres",
    redis: options.rateLimitStorage === "redis",
    corsOriginsJson: quoteJson(options.corsOrigins),
    llm: options.llm,
    model: options.model !== "none",
    modelSafetensors: options.model === "safetensors",
    modelTransformers: options.model === "transformers",
    aiServing: options.llm || options.model !== "none",
    apiKeys: usesApiKeys(options),
    pinsHubRevision: options.llm || options.model === "transformers",
    databaseUrl: databaseUrl(spec),
    rateLimitStorageUri: rateLimitStorageUri(options),
    dependencies: requirementsFor(options, "runtime"),
    devDependencies: requirementsFor(options, "dev"),
  };
}

/** Generate a fresh secret for the project's .env file; it is written nowhere else. */
export function generateSecretKey(): string {
  return randomBytes(SECRET_KEY_BYTES).toString("base64url");
}

/**
 * Render the developer's .env: settings for local development and, with
 * accounts, a fresh signing key. .env.example lists every setting with placeholders.
 */
export function renderEnvFile(spec: ProjectSpec, secretKey: string): string {
  const lines = [
    "# Development settings. Never commit this file; .env.example lists every setting.",
    "ENVIRONMENT=development",
    ...(spec.options.auth === "jwt" ? [`SECRET_KEY=${quoteEnvValue(secretKey)}`] : []),
    `DATABASE_URL=${quoteEnvValue(databaseUrl(spec))}`,
    `RATE_LIMIT_STORAGE_URI=${quoteEnvValue(rateLimitStorageUri(spec.options))}`,
    `CORS_ORIGINS=${quoteEnvValue(quoteJson(spec.options.corsOrigins))}`,
  ];
  return `${lines.join("\n")}\n`;
}

export interface PlanOptions {
  /** Folder of the snippet catalog; tests point it at a modified copy. */
  snippetsRoot?: string;
}

/** Build the full list of files for a project, in memory, without touching disk. */
export async function planProject(
  spec: ProjectSpec,
  secretKey = generateSecretKey(),
  options: PlanOptions = {},
): Promise<PlannedFile[]> {
  const context = templateContext(spec);
  const byPath = new Map<string, PlannedFile>();
  const addFile = (file: PlannedFile, origin: string): void => {
    if (byPath.has(file.path)) {
      throw new Error(`Template conflict: ${file.path} comes from two features (the second is ${origin}).`);
    }
    byPath.set(file.path, file);
  };
  for (const feature of FEATURES.filter((item) => item.enabled(spec.options))) {
    for (const file of await renderFolder(path.join(TEMPLATES_ROOT, feature.folder), context)) {
      addFile(file, `templates/${feature.folder}`);
    }
  }
  const snippets = await renderSnippets(await loadCatalog(options.snippetsRoot ?? SNIPPETS_ROOT), context);
  for (const { snippet, file } of snippets) {
    addFile(file, `snippets/${snippet.id}`);
  }
  byPath.set(".env", { path: ".env", content: renderEnvFile(spec, secretKey) });
  const managed = snippets.map(({ snippet, file }) => ({
    path: file.path,
    snippet: snippet.id,
    version: snippet.version,
    content: file.content,
  }));
  const state = createState({ name: spec.name, options: spec.options }, spec.generatorVersion, managed);
  addFile({ path: STATE_FILE, content: serializeState(state) }, "the state file");
  return [...byPath.values()].sort((a, b) => a.path.localeCompare(b.path));
}
