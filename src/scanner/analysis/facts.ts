import type { SyntaxNode } from "../parse/syntax.js";
import type { FileContext } from "./context.js";
import { dottedName } from "./names.js";
import { constantBoolean } from "./values.js";
import { hasGlobalRateLimit } from "../rules/rate-limit.js";
import type { ClassReference, FindingCondition } from "../types.js";
import { OWNER_NAME } from "../rules/authorization.js";

/** A class field as declared in the class body. */
export interface FieldFact {
  name: string;
  /** True when the field is declared as a string. */
  text: boolean;
  /** True when the declaration sets `max_length`. */
  bounded: boolean;
  /** True when `Field(exclude=True)` leaves the field out of serialized output. */
  excluded: boolean;
}

/** What other files need to know about one class. */
export interface ClassFact {
  name: string;
  bases: string[];
  /** For each base that the defining file imports, the module it comes from. */
  baseModules: Record<string, string>;
  /** True for an SQLModel `table=True` class or an SQLAlchemy mapped class. */
  table: boolean;
  fields: FieldFact[];
}

/** Facts from one file that decide candidate findings in others. */
export interface FileFacts {
  /** The file's path as reported, which also gives its module name. */
  path: string;
  classes: ClassFact[];
  globalRateLimit: boolean;
}

/** Collect class and limiter facts from a parsed file. */
export function collectFacts(file: FileContext): FileFacts {
  return {
    path: file.path,
    classes: file.nodes("class_definition").map((node) => describeClass(file, node)),
    globalRateLimit: hasGlobalRateLimit(file),
  };
}

function describeClass(file: FileContext, node: SyntaxNode): ClassFact {
  const name = node.child("name")?.text ?? "";
  const superclasses = node.child("superclasses");
  const bases = (superclasses?.namedChildren ?? [])
    .map((base) => dottedName(base))
    .filter((base): base is string => base !== null);
  const tableOption = superclasses?.children.find(
    (child) => child.type === "keyword_argument" && child.child("name")?.text === "table",
  );
  const tableValue = tableOption?.child("value");
  const fields: FieldFact[] = [];
  let mapped = tableValue !== null && tableValue !== undefined && constantBoolean(file, tableValue) === true;
  for (const statement of node.child("body")?.children ?? []) {
    const assignment = statement.type === "expression_statement" ? statement.firstNamed : null;
    if (assignment?.type !== "assignment") continue;
    const left = assignment.child("left");
    if (left?.type !== "identifier") continue;
    const text = assignment.text;
    if (left.text === "__tablename__" || /\b(mapped_column|Column)\(|Mapped\[/.test(text)) mapped = true;
    const type = assignment.child("type")?.text ?? "";
    fields.push({
      name: left.text,
      text: /^(str|Optional\[str\]|str \| None|None \| str|Annotated\[str\b.*|constr\(.*)$/s.test(type),
      bounded: /\bmax_length\s*=/.test(text),
      excluded: /\bexclude\s*=\s*True\b/.test(text),
    });
  }
  const baseModules: Record<string, string> = {};
  for (const base of bases) {
    const module = importedModule(file, base);
    if (module !== null) baseModules[base] = module;
  }
  return { name, bases, baseModules, table: mapped, fields };
}

/**
 * Find the module a file imports a (possibly dotted) name from, with relative
 * imports resolved against the file's path: in `app/api.py`,
 * `from .models import User` makes `User` come from `app.models`. Null when
 * no import binds the name's first part.
 */
export function importedModule(file: FileContext, name: string): string | null {
  const parts = name.split(".");
  const bound = file.imports.get(parts[0] as string);
  if (bound === undefined) return null;
  const qualified = [bound, ...parts.slice(1)].join(".");
  const lastDot = qualified.lastIndexOf(".");
  if (lastDot <= 0) return null;
  const module = qualified.slice(0, lastDot);
  return module.startsWith(".") ? resolveRelative(moduleOfPath(file.path), module) : module;
}

function resolveRelative(fileModule: string, relative: string): string | null {
  const dots = /^\.+/.exec(relative)?.[0].length ?? 0;
  // Dropping the last part gives the package both for `app.api` and for `app.__init__`.
  const packageParts = fileModule.split(".").slice(0, -1);
  const keep = packageParts.length - (dots - 1);
  if (keep < 0) return null;
  const rest = relative.slice(dots);
  return [...packageParts.slice(0, keep), ...(rest === "" ? [] : [rest])].join(".");
}

const INIT_SUFFIX = ".__init__";

/** `app/models.py` -> `app.models`; `app/__init__.py` keeps `app.__init__` for relative imports. */
function moduleOfPath(file: string): string {
  return file.replace(/\.pyi?$/, "").split(/[\\/]/).filter((part) => part !== "").join(".");
}

/** True when a file's module name is `module`, or ends with it after a folder (`src.app.models`). */
function moduleMatches(fileModule: string, module: string): boolean {
  const name = fileModule.endsWith(INIT_SUFFIX) ? fileModule.slice(0, -INIT_SUFFIX.length) : fileModule;
  return name === module || name.endsWith(`.${module}`);
}

const SENSITIVE_FIELD = /password|passwd|secret|api_?key|salt|otp|totp|mfa|ssn|private_key|(access|refresh|reset|api|session)_?token/i;

/**
 * Credentials that servers send to clients on purpose: a login's access
 * token, a new API key, or a `client_secret` (a new OAuth client's secret,
 * or a payment intent's secret that the browser needs).
 */
const ISSUED_CREDENTIAL = /(access|refresh|session|api)_?token|api_?key|client_?secret/i;

/**
 * True for a field name that stores a secret, which no response should
 * carry: a sensitive column name other than an issued credential, unless the
 * name marks a hash (`api_key_hash`).
 */
export function isStoredSecret(name: string): boolean {
  return SENSITIVE_FIELD.test(name) && (!ISSUED_CREDENTIAL.test(name) || /hash/i.test(name));
}

const IDENTITY_MODEL = /user|account|member|profile|customer|person|employee|tenant/i;

/** A class fact with the file that defines it. */
interface DefinedClass {
  fact: ClassFact;
  path: string;
  module: string;
}

/** Facts from every scanned file, used to settle candidate findings. */
export class ProjectFacts {
  private readonly classes = new Map<string, DefinedClass[]>();
  private globalRateLimit = false;

  add(facts: FileFacts): void {
    const path = facts.path;
    const module = moduleOfPath(path);
    for (const fact of facts.classes) {
      const defined = { fact, path, module };
      const list = this.classes.get(fact.name);
      if (list) list.push(defined);
      else this.classes.set(fact.name, [defined]);
    }
    this.globalRateLimit ||= facts.globalRateLimit;
  }

  /** True when the condition holds for a candidate in file `path` and it should be reported. */
  holds(condition: FindingCondition, path: string): boolean {
    if (condition.kind === "no-global-rate-limit") return !this.globalRateLimit;
    const classes = this.resolve(condition, path);
    switch (condition.kind) {
      case "private-model":
        if (IDENTITY_MODEL.test(lastPart(condition.model))) return true;
        if (classes === null) return false;
        return classes.length === 0 || this.fieldsOf(classes).some((field) => OWNER_NAME.test(field.name));
      case "sensitive-table-model":
        if (classes === null || !this.isTable(classes, new Set())) return false;
        return this.fieldsOf(classes).some((field) => SENSITIVE_FIELD.test(field.name) && !field.excluded);
      case "sensitive-table-field": {
        if (classes === null || !this.isTable(classes, new Set())) return false;
        const field = condition.field;
        return this.fieldsOf(classes).some((declared) => declared.name === field);
      }
      case "sensitive-output-model":
        if (classes === null || classes.length === 0 || this.isTable(classes, new Set())) return false;
        return this.fieldsOf(classes).some((field) => field.text && !field.excluded && isStoredSecret(field.name));
      case "unbounded-text-field": {
        if (classes === null || classes.length === 0) return false;
        const used = condition.fields;
        const fields = this.fieldsOf(classes).filter((field) => used.length === 0 || used.includes(field.name));
        return fields.some((field) => field.text && !field.bounded);
      }
    }
  }

  /**
   * Find the definitions a class name used in file `path` refers to: one in the
   * same file, else one in the module the file imports the name from, else
   * the only one in the project. Null when several classes share the name
   * and none of these picks one, so the caller does not guess. An empty list
   * means that no scanned file defines the name.
   */
  private resolve(reference: ClassReference, path: string): DefinedClass[] | null {
    const candidates = this.classes.get(lastPart(reference.model)) ?? [];
    if (candidates.length <= 1) return candidates;
    const local = candidates.filter((defined) => defined.path === path);
    if (local.length > 0) return local;
    const from = reference.importedFrom;
    const imported = from === undefined ? [] : candidates.filter((defined) => moduleMatches(defined.module, from));
    return imported.length === 1 ? imported : null;
  }

  /** Resolve the base classes named in a class definition. */
  private basesOf(defined: DefinedClass): DefinedClass[] {
    const bases: DefinedClass[] = [];
    for (const base of defined.fact.bases) {
      const importedFrom = defined.fact.baseModules[base];
      const reference: ClassReference = importedFrom === undefined ? { model: base } : { model: base, importedFrom };
      bases.push(...(this.resolve(reference, defined.path) ?? []));
    }
    return bases;
  }

  private isTable(classes: DefinedClass[], seen: Set<DefinedClass>): boolean {
    return classes.some((defined) => {
      if (seen.has(defined)) return false;
      seen.add(defined);
      return defined.fact.table || this.isTable(this.basesOf(defined), seen);
    });
  }

  /** Fields of the classes and of the classes they inherit from. */
  private fieldsOf(classes: DefinedClass[], seen = new Set<DefinedClass>()): FieldFact[] {
    const fields: FieldFact[] = [];
    for (const defined of classes) {
      if (seen.has(defined)) continue;
      seen.add(defined);
      fields.push(...defined.fact.fields);
      fields.push(...this.fieldsOf(this.basesOf(defined), seen));
    }
    return fields;
  }
}

function lastPart(name: string): string {
  return name.split(".").pop() ?? name;
}
