import { UsageError } from "../errors.js";
import { parseCorsOrigins } from "./validate.js";

/** The choices that decide what a generated project contains. */
export interface ProjectOptions {
  auth: "jwt" | "none";
  db: "sqlite" | "postgres";
  corsOrigins: string[];
  rateLimitStorage: "memory" | "redis";
  llm: boolean;
  model: "none" | "safetensors" | "transformers";
}

export type OptionKey = keyof ProjectOptions;

export interface Choice<T extends string> {
  value: T;
  label: string;
  hint: string;
}

interface BaseSpec<K extends OptionKey> {
  key: K;
  /** Long flag without the leading dashes. */
  flag: string;
  /** Placeholder for the flag's value in --help. */
  valueName: string;
  /** One line for --help: what the option sets. */
  help: string;
  /** Question shown by the interactive prompt. */
  question: string;
  defaultValue: ProjectOptions[K];
}

export interface ChoiceSpec<K extends OptionKey> extends BaseSpec<K> {
  kind: "choice";
  choices: Choice<ProjectOptions[K] & string>[];
}

export interface ListSpec<K extends OptionKey> extends BaseSpec<K> {
  kind: "list";
  placeholder: string;
  /** A valid non-default flag value, used by the test matrix. */
  example: string;
  parse: (raw: string) => ProjectOptions[K];
}

/** An on/off option: `--flag` turns it on, `--no-flag` off. */
export interface SwitchSpec<K extends OptionKey> extends BaseSpec<K> {
  kind: "switch";
}

type BooleanKey = { [K in OptionKey]: ProjectOptions[K] extends boolean ? K : never }[OptionKey];

export type OptionSpec =
  | { [K in OptionKey]: ChoiceSpec<K> | ListSpec<K> }[OptionKey]
  | { [K in BooleanKey]: SwitchSpec<K> }[BooleanKey];

/**
 * The one table behind the prompts, the flags, --help, validation and the
 * test matrix. A new project option is a new row here.
 */
export const OPTION_SPECS: readonly OptionSpec[] = [
  {
    key: "auth",
    kind: "choice",
    flag: "auth",
    valueName: "jwt|none",
    help: "user accounts with JWT bearer tokens, or no accounts",
    question: "Authentication",
    defaultValue: "jwt",
    choices: [
      { value: "jwt", label: "JWT", hint: "accounts, Argon2 password hashing, owned documents and files" },
      { value: "none", label: "None", hint: "no accounts; health routes and the hardened core only" },
    ],
  },
  {
    key: "db",
    kind: "choice",
    flag: "db",
    valueName: "sqlite|postgres",
    help: "database behind SQLAlchemy and Alembic",
    question: "Database",
    defaultValue: "sqlite",
    choices: [
      { value: "sqlite", label: "SQLite", hint: "a file next to the app; nothing to run" },
      { value: "postgres", label: "PostgreSQL", hint: "psycopg 3; DATABASE_URL points at your server" },
    ],
  },
  {
    key: "corsOrigins",
    kind: "list",
    flag: "cors-origins",
    valueName: "URL[,URL...]",
    help: "browser origins allowed to call the API; none means same-origin only",
    question: "CORS origins, comma-separated (empty for same-origin only)",
    placeholder: "https://app.example.com",
    example: "https://app.example.com,http://localhost:5173",
    defaultValue: [],
    parse: parseCorsOrigins,
  },
  {
    key: "rateLimitStorage",
    kind: "choice",
    flag: "rate-limit-storage",
    valueName: "memory|redis",
    help: "where rate-limit counters live",
    question: "Rate-limit storage",
    defaultValue: "memory",
    choices: [
      { value: "memory", label: "In-process memory", hint: "one worker process" },
      { value: "redis", label: "Redis", hint: "shared by every worker and replica" },
    ],
  },
  {
    key: "llm",
    kind: "switch",
    flag: "llm",
    valueName: "",
    help: "LLM endpoints with bounded input, output redaction and token budgets",
    question: "Add LLM endpoints (generate and stream)?",
    defaultValue: false,
  },
  {
    key: "model",
    kind: "choice",
    flag: "model",
    valueName: "none|safetensors|transformers",
    help: "model serving from safetensors weights or a local transformers model",
    question: "Model serving",
    defaultValue: "none",
    choices: [
      { value: "none", label: "None", hint: "no prediction endpoint" },
      { value: "safetensors", label: "safetensors", hint: "PyTorch weights loaded into a known architecture" },
      { value: "transformers", label: "transformers", hint: "a local Hugging Face model, no remote code" },
    ],
  },
];

export function defaultOptions(): ProjectOptions {
  const entries = OPTION_SPECS.map((spec) => [spec.key, spec.defaultValue]);
  return Object.fromEntries(entries) as ProjectOptions;
}

/** Convert one flag value to the option's type, rejecting unknown choices. */
export function parseOptionValue(spec: OptionSpec, raw: string): ProjectOptions[OptionKey] {
  if (spec.kind === "list") {
    return spec.parse(raw);
  }
  if (spec.kind === "switch") {
    if (raw === "true" || raw === "false") return raw === "true";
    throw new UsageError(`Invalid value ${JSON.stringify(raw)} for --${spec.flag}.`, "Use true or false.");
  }
  const choice = spec.choices.find((item) => item.value === raw);
  if (!choice) {
    const allowed = spec.choices.map((item) => item.value).join(", ");
    throw new UsageError(
      `Invalid value ${JSON.stringify(raw)} for --${spec.flag}.`,
      `Use one of: ${allowed}.`,
    );
  }
  return choice.value;
}

/** List the flags that select each tested value of one option. */
export function flagVariants(spec: OptionSpec): string[][] {
  const flag = `--${spec.flag}`;
  switch (spec.kind) {
    case "choice":
      return spec.choices.map((choice) => [flag, choice.value]);
    case "list":
      return [[], [flag, spec.example]];
    case "switch":
      return [[], [flag]];
  }
}

/**
 * List every combination of flag values: each choice of each choice option, and
 * the default and an example value of each list option.
 */
export function allFlagCombinations(): string[][] {
  let combinations: string[][] = [[]];
  for (const spec of OPTION_SPECS) {
    combinations = combinations.flatMap((flags) => flagVariants(spec).map((variant) => [...flags, ...variant]));
  }
  return combinations;
}
