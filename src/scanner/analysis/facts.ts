import type { SyntaxNode } from "../parse/syntax.js";
import type { FileContext } from "./context.js";
import { dottedName } from "./names.js";
import { constantBoolean } from "./values.js";
import { hasGlobalRateLimit } from "../rules/rate-limit.js";
import type { FindingCondition } from "../types.js";
import { OWNER_NAME } from "../rules/authorization.js";

/** A class field as declared in the class body. */
export interface FieldFact {
  name: string;
  /** True when the field is declared as a string. */
  text: boolean;
  /** True when the declaration sets `max_length`. */
  bounded: boolean;
}

/** What other files need to know about one class. */
export interface ClassFact {
  name: string;
  bases: string[];
  /** True for an SQLModel `table=True` class or an SQLAlchemy mapped class. */
  table: boolean;
  fields: FieldFact[];
}

/** Facts from one file that decide candidate findings in others. */
export interface FileFacts {
  classes: ClassFact[];
  globalRateLimit: boolean;
}

/** Collect class and limiter facts from a parsed file. */
export function collectFacts(file: FileContext): FileFacts {
  return {
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
    });
  }
  return { name, bases, table: mapped, fields };
}

const SENSITIVE_FIELD = /password|passwd|secret|api_?key|salt|otp|totp|mfa|ssn|private_key|(access|refresh|reset|api|session)_?token/i;
const IDENTITY_MODEL = /user|account|member|profile|customer|person|employee|tenant/i;

/** Facts from every scanned file, used to settle candidate findings. */
export class ProjectFacts {
  private readonly classes = new Map<string, ClassFact[]>();
  private globalRateLimit = false;

  add(facts: FileFacts): void {
    for (const fact of facts.classes) {
      const list = this.classes.get(fact.name);
      if (list) list.push(fact);
      else this.classes.set(fact.name, [fact]);
    }
    this.globalRateLimit ||= facts.globalRateLimit;
  }

  /** True when the condition holds and the candidate should be reported. */
  holds(condition: FindingCondition): boolean {
    switch (condition.kind) {
      case "no-global-rate-limit":
        return !this.globalRateLimit;
      case "private-model":
        return this.isPrivate(condition.model);
      case "sensitive-table-model":
        return this.isSensitiveTable(condition.model);
      case "unbounded-text-field":
        return this.hasUnboundedText(condition.model, condition.fields);
    }
  }

  private isPrivate(model: string): boolean {
    if (!this.classes.has(model) || IDENTITY_MODEL.test(model)) return true;
    return this.fieldsOf(model).some((field) => OWNER_NAME.test(field.name));
  }

  private isSensitiveTable(model: string): boolean {
    if (!this.isTable(model, new Set())) return false;
    return this.fieldsOf(model).some((field) => SENSITIVE_FIELD.test(field.name));
  }

  private hasUnboundedText(model: string, used: string[]): boolean {
    if (!this.classes.has(model)) return false;
    const fields = this.fieldsOf(model).filter((field) => used.length === 0 || used.includes(field.name));
    return fields.some((field) => field.text && !field.bounded);
  }

  private isTable(model: string, seen: Set<string>): boolean {
    if (seen.has(model)) return false;
    seen.add(model);
    return (this.classes.get(model) ?? []).some(
      (fact) => fact.table || fact.bases.some((base) => base !== model && this.isTable(base, seen)),
    );
  }

  /** Fields of a class and of the classes it inherits from, by name. */
  private fieldsOf(model: string, seen = new Set<string>()): FieldFact[] {
    if (seen.has(model)) return [];
    seen.add(model);
    const fields: FieldFact[] = [];
    for (const fact of this.classes.get(model) ?? []) {
      fields.push(...fact.fields);
      for (const base of fact.bases) fields.push(...this.fieldsOf(base.split(".").pop() ?? base, seen));
    }
    return fields;
  }
}
