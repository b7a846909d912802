import { isTestPath, type Project } from "../project.js";
import { statements } from "../python/source.js";

/** Endings in "s" of singular words: address, status, bus, analysis. */
const SINGULAR_ENDINGS = /(ss|us|is)$/;
/** Singular words in "s" with another ending, which the plural check accepts as they are. */
const SINGULAR_WORDS = new Set(["alias", "atlas", "bias", "canvas", "gas", "lens"]);

/**
 * Guess the singular of a plural English word: categories → category,
 * boxes → box, addresses → address, statuses → status, notes → note.
 * NOTE: this is a guess, and wrong for some words (movies gives movy).
 */
function singularWord(word: string): string {
  if (/[^aeiou]ies$/.test(word)) return `${word.slice(0, -3)}y`;
  if (/(ss|x|z|ch|sh)es$/.test(word) || /[^o]uses$/.test(word)) return word.slice(0, -2);
  return word.slice(0, -1);
}

function replaceLastWord(name: string, word: string): string {
  const parts = name.split("_");
  parts[parts.length - 1] = word;
  return parts.join("_");
}

function lastWord(name: string): string {
  return name.split("_").pop() ?? name;
}

/**
 * Return the singular of a snake_case name whose last word ends in "s" like
 * a plural (notes, blog_posts, boxes), or null for other names. Words that
 * end in ss, us or is (address, status, analysis), and a few others such as
 * alias and lens, count as singular.
 */
export function pluralToSingular(name: string): string | null {
  const word = lastWord(name);
  if (!word.endsWith("s") || SINGULAR_ENDINGS.test(word) || SINGULAR_WORDS.has(word)) return null;
  return replaceLastWord(name, singularWord(word));
}

/** List the names that `name` could be the plural of: without its s, without es, and with ies as y. */
function singularCandidates(name: string): string[] {
  const word = lastWord(name);
  if (!word.endsWith("s") || word.endsWith("ss")) return [];
  const words = [word.slice(0, -1)];
  if (word.endsWith("es")) words.push(word.slice(0, -2));
  if (word.endsWith("ies")) words.push(`${word.slice(0, -3)}y`);
  return words.filter((item) => item !== "").map((item) => replaceLastWord(name, item));
}

function snakeCase(className: string): string {
  return className.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toLowerCase();
}

/** A model, table or module of the project whose name makes a resource name plural. */
export interface SingularInProject {
  singular: string;
  /** The place in the project, such as "app/models.py defines User". */
  place: string;
}

/**
 * Find a model class, `__tablename__` or module of the project, tests aside,
 * that shows `name` to be a plural: its table, or the singular form of it
 * (menus when app/models.py defines Menu). Returns null when none does.
 */
export async function findSingularInProject(project: Project, name: string): Promise<SingularInProject | null> {
  const candidates = new Set(singularCandidates(name));
  if (candidates.size === 0) return null;
  for (const file of await project.pythonFiles()) {
    if (isTestPath(file)) continue;
    const moduleName = await project.moduleName(file);
    const last = moduleName.split(".").pop() ?? "";
    if (candidates.has(last)) return { singular: last, place: `the project has the module ${moduleName}` };
    const module = await project.module(file);
    for (const statement of statements(module.root)) {
      const definition = statement.type === "decorated_definition" ? statement.child("definition") : statement;
      if (definition?.type !== "class_definition") continue;
      const className = definition.child("name")?.text ?? "";
      if (candidates.has(snakeCase(className))) {
        return { singular: snakeCase(className), place: `${file} defines ${className}` };
      }
      const table = /__tablename__\s*=\s*["']([A-Za-z0-9_]+)["']/.exec(definition.text)?.[1];
      if (table === name)
        return { singular: snakeCase(className), place: `${file} defines ${className}, table ${table}` };
    }
  }
  return null;
}
