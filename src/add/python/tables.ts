import { CliError } from "../../errors.js";
import type { Project } from "../project.js";
import { fromImportOf, importBindings } from "./imports.js";
import { absoluteModuleName, findModuleFile, type NamedModule } from "./modules.js";
import { projectModules, type DeclarativeBaseDefinition, type ModuleName } from "./sqlalchemy.js";
import { dottedName, expressionOf, statements, stringValue, type SyntaxNode } from "./source.js";

/** One column of a table, with its type and foreign key written as a migration writes them. */
export interface ColumnDefinition {
  name: string;
  /** The SQL type, such as `sa.String(200)`. */
  type: string;
  primaryKey: boolean;
  nullable: boolean;
  /** A unique constraint on the column alone; a unique index is an IndexDefinition instead. */
  unique: boolean;
  /** `sa.ForeignKey(...)`, or null. */
  foreignKey: string | null;
}

export interface IndexDefinition {
  name: string;
  columns: string[];
  unique: boolean;
}

/** The table that a declarative model creates: what `op.create_table` and `op.create_index` need. */
export interface TableDefinition {
  name: string;
  columns: ColumnDefinition[];
  indexes: IndexDefinition[];
}

/** SQLAlchemy's index name when the metadata has no naming convention. */
const DEFAULT_INDEX_NAMING = "ix_%(column_0_label)s";

/** The SQL types of SQLAlchemy 2's default `type_annotation_map`, by Python type. */
const ANNOTATION_TYPES = new Map([
  ["int", "sa.Integer()"],
  ["str", "sa.String()"],
  ["bool", "sa.Boolean()"],
  ["float", "sa.Float()"],
  ["bytes", "sa.LargeBinary()"],
  ["uuid.UUID", "sa.Uuid()"],
  ["datetime.datetime", "sa.DateTime()"],
  ["datetime.date", "sa.Date()"],
  ["datetime.time", "sa.Time()"],
  ["datetime.timedelta", "sa.Interval()"],
  ["decimal.Decimal", "sa.Numeric()"],
]);

const BUILTIN_TYPES = new Set(["int", "str", "bool", "float", "bytes"]);
const SQL_TYPE_MODULES = new Set(["sqlalchemy", "sqlalchemy.types", "sqlalchemy.sql.sqltypes"]);
const COLUMN_FUNCTIONS = new Set([
  "sqlalchemy.orm.mapped_column",
  "sqlalchemy.Column",
  "sqlalchemy.schema.Column",
  "sqlalchemy.sql.schema.Column",
]);
const FOREIGN_KEYS = new Set([
  "sqlalchemy.ForeignKey",
  "sqlalchemy.schema.ForeignKey",
  "sqlalchemy.sql.schema.ForeignKey",
]);
const METADATA_CLASSES = new Set([
  "sqlalchemy.MetaData",
  "sqlalchemy.schema.MetaData",
  "sqlalchemy.sql.schema.MetaData",
]);
const INDEX_CLASSES = new Set(["sqlalchemy.Index", "sqlalchemy.schema.Index", "sqlalchemy.sql.schema.Index"]);

/** Keywords of `mapped_column()` and `Column()` that change Python objects only, not the table. */
const PYTHON_SIDE_KEYWORDS = new Set([
  "default",
  "default_factory",
  "insert_default",
  "onupdate",
  "init",
  "repr",
  "kw_only",
  "compare",
  "hash",
  "sort_order",
  "doc",
  "info",
  "deferred",
  "deferred_group",
  "deferred_raiseload",
  "active_history",
]);
const TABLE_KEYWORDS = new Set(["primary_key", "nullable", "index", "unique"]);

/** Python types of primary keys that a token subject can name, by the SQL type that stores them. */
const KEY_TYPES_BY_SQL_TYPE = new Map([
  ["Integer", "int"],
  ["BigInteger", "int"],
  ["SmallInteger", "int"],
  ["String", "str"],
  ["Text", "str"],
  ["Unicode", "str"],
  ["UnicodeText", "str"],
  ["VARCHAR", "str"],
  ["CHAR", "str"],
  ["Uuid", "uuid.UUID"],
  ["UUID", "uuid.UUID"],
]);

export type KeyType = "int" | "str" | "uuid.UUID";

/** One column attribute of a model class, as written. */
interface MappedAttribute {
  attribute: string;
  columnName: string;
  /** The type inside `Mapped[...]`, or null without that annotation. */
  annotation: SyntaxNode | null;
  /** The SQL type argument, such as `String(200)`; null when the annotation decides the type. */
  sqlType: SyntaxNode | null;
  foreignKey: SyntaxNode | null;
  keywords: Map<string, SyntaxNode>;
  /** True for `Column(...)`, whose columns are nullable by default. */
  legacyColumn: boolean;
}

/**
 * Resolve a dotted name used in a module to the absolute name of what it
 * imports, such as `sa.String` → `sqlalchemy.String`, or `Base` → `app.db.Base`
 * after `from .db import Base`. Returns null when its first part is not imported.
 */
function importedName(named: NamedModule, dotted: string): string | null {
  const [head = "", ...rest] = dotted.split(".");
  const source = fromImportOf(named.module, head);
  if (source) return [absoluteModuleName(source.module, named), source.name, ...rest].join(".");
  const bound = importBindings(named.module).get(head);
  return bound === undefined ? null : [bound, ...rest].join(".");
}

/** Resolve a name to its absolute dotted name, counting names the module does not import as its own. */
function qualified(named: NamedModule, dotted: string): string {
  return importedName(named, dotted) ?? `${named.moduleName}.${dotted}`;
}

/** Map the top-level classes of a module by name, decorated ones included. */
function topLevelClasses(named: NamedModule): Map<string, SyntaxNode> {
  const classes = new Map<string, SyntaxNode>();
  for (const statement of statements(named.module.root)) {
    const definition = statement.type === "decorated_definition" ? statement.child("definition") : statement;
    const name = definition?.child("name")?.text;
    if (definition?.type === "class_definition" && name) classes.set(name, definition);
  }
  return classes;
}

/** Map each `name = value` assignment in a block to its value node; annotated assignments included. */
function assignments(block: SyntaxNode): Map<string, SyntaxNode> {
  const values = new Map<string, SyntaxNode>();
  for (const statement of statements(block)) {
    const assignment = expressionOf(statement);
    const left = assignment?.type === "assignment" ? assignment.child("left") : null;
    const right = assignment?.child("right");
    if (left?.type === "identifier" && right) values.set(left.text, right);
  }
  return values;
}

function classBody(definition: SyntaxNode): SyntaxNode {
  return definition.child("body") as SyntaxNode;
}

/** Split a call's arguments into positional ones and keywords. */
function callArguments(call: SyntaxNode): { positional: SyntaxNode[]; keywords: Map<string, SyntaxNode> } {
  const positional: SyntaxNode[] = [];
  const keywords = new Map<string, SyntaxNode>();
  for (const argument of call.child("arguments")?.namedChildren ?? []) {
    if (argument.type === "comment") continue;
    if (argument.type === "keyword_argument") {
      const name = argument.child("name")?.text;
      const value = argument.child("value");
      if (name && value) keywords.set(name, value);
    } else {
      positional.push(argument);
    }
  }
  return { positional, keywords };
}

/** Return the source of a call's arguments on one line, without the parentheses or a trailing comma. */
function argumentsText(call: SyntaxNode): string {
  const list = call.child("arguments")?.text ?? "()";
  return list
    .slice(1, -1)
    .replace(/\s*\n\s*/g, " ")
    .trim()
    .replace(/,$/, "");
}

/** Read the column attributes of a model class: `x: Mapped[T] = mapped_column(...)`, `x: Mapped[T]` and `x = Column(...)`. */
function mappedAttributes(named: NamedModule, model: SyntaxNode): MappedAttribute[] {
  const attributes: MappedAttribute[] = [];
  for (const statement of statements(classBody(model))) {
    const assignment = expressionOf(statement);
    const left = assignment?.type === "assignment" ? assignment.child("left") : null;
    if (left?.type !== "identifier" || left.text.startsWith("__")) continue;
    const annotation = mappedType(named, assignment?.child("type")?.firstNamed ?? null);
    const right = assignment?.child("right") ?? null;
    const callee = right?.type === "call" ? dottedName(right.child("function")) : null;
    const isColumn = callee !== null && COLUMN_FUNCTIONS.has(importedName(named, callee) ?? "");
    if (right !== null && !isColumn) continue;
    if (right === null && annotation === null) continue;
    const { positional, keywords } = right ? callArguments(right) : { positional: [], keywords: new Map() };
    let columnName = left.text;
    let sqlType: SyntaxNode | null = null;
    let foreignKey: SyntaxNode | null = null;
    for (const argument of positional) {
      const name = stringValue(argument);
      const called = argument.type === "call" ? dottedName(argument.child("function")) : null;
      if (name !== null) columnName = name;
      else if (called !== null && FOREIGN_KEYS.has(importedName(named, called) ?? "")) foreignKey = argument;
      else sqlType ??= argument;
    }
    attributes.push({
      attribute: left.text,
      columnName,
      annotation,
      sqlType,
      foreignKey,
      keywords,
      legacyColumn: isColumn && importedName(named, callee ?? "") !== "sqlalchemy.orm.mapped_column",
    });
  }
  return attributes;
}

/** Return the type inside `Mapped[...]`, or null for other annotations. */
function mappedType(named: NamedModule, annotation: SyntaxNode | null): SyntaxNode | null {
  if (annotation?.type !== "generic_type") return null;
  const name = annotation.namedChildren[0];
  if (name?.type !== "identifier" && name?.type !== "attribute") return null;
  if (!(importedName(named, name.text) ?? "").endsWith("orm.Mapped")) return null;
  const parameter = annotation.namedChildren.find((child) => child.type === "type_parameter");
  return parameter?.firstNamed?.firstNamed ?? null;
}

/** The Python type of an annotation with `None` taken out: its absolute name and whether None was there. */
interface AnnotationType {
  name: string;
  optional: boolean;
}

/** Read an annotation such as `int`, `uuid.UUID`, `str | None` or `Optional[datetime]`. */
function annotationType(named: NamedModule, node: SyntaxNode): AnnotationType {
  if (node.type === "type") return annotationType(named, node.firstNamed as SyntaxNode);
  if (node.type === "string") {
    const text = stringValue(node) ?? node.text;
    return { name: BUILTIN_TYPES.has(text) ? text : qualified(named, text), optional: false };
  }
  if (node.type === "binary_operator") {
    const sides = [node.child("left"), node.child("right")].filter((side): side is SyntaxNode => side !== null);
    const types = sides.filter((side) => side.type !== "none").map((side) => annotationType(named, side));
    const [single] = types;
    if (types.length === 1 && single) return { name: single.name, optional: sides.length > types.length };
  }
  if (node.type === "generic_type") {
    const wrapper = importedName(named, node.namedChildren[0]?.text ?? "");
    const parameter = node.namedChildren.find((child) => child.type === "type_parameter");
    const members = (parameter?.namedChildren ?? []).filter((child) => child.firstNamed?.type !== "none");
    const [single] = members;
    if ((wrapper === "typing.Optional" || wrapper === "typing.Union") && members.length === 1 && single) {
      return { name: annotationType(named, single).name, optional: true };
    }
  }
  const dotted = dottedName(node) ?? node.text;
  return { name: BUILTIN_TYPES.has(dotted) ? dotted : qualified(named, dotted), optional: false };
}

/** Find a class by its absolute dotted name among the project's modules. */
async function findClass(project: Project, dotted: string): Promise<{ named: NamedModule; node: SyntaxNode } | null> {
  const moduleName = dotted.split(".").slice(0, -1).join(".");
  const className = dotted.split(".").pop() ?? "";
  const file = await findModuleFile(project, moduleName);
  if (file === null) return null;
  const named = { module: await project.module(file), moduleName };
  const node = topLevelClasses(named).get(className);
  return node ? { named, node } : null;
}

/**
 * Write a column's SQL type as a migration does (`String(200)` →
 * `sa.String(200)`). A TypeDecorator of the project is written as its
 * `impl`, which is what the database stores.
 */
async function renderSqlType(project: Project, named: NamedModule, node: SyntaxNode, depth = 0): Promise<string> {
  const call = node.type === "call" ? node : null;
  const name = dottedName(call ? call.child("function") : node);
  const resolved = name === null ? null : qualified(named, name);
  const owner = resolved?.split(".").slice(0, -1).join(".") ?? "";
  const typeName = resolved?.split(".").pop() ?? "";
  if (SQL_TYPE_MODULES.has(owner)) return `sa.${typeName}(${call ? argumentsText(call) : ""})`;
  const decorator = resolved !== null && depth < 5 ? await findClass(project, resolved) : null;
  const impl = decorator ? assignments(classBody(decorator.node)).get("impl") : undefined;
  if (decorator && impl) return renderSqlType(project, decorator.named, impl, depth + 1);
  throw new CliError(
    `Cannot write the column type ${node.text} of ${named.module.path} in a migration: it is neither a SQLAlchemy type nor a TypeDecorator with an \`impl\` that this tool can find.`,
    { hint: "Write the migration by hand with `alembic revision --autogenerate`; nothing was written." },
  );
}

/** Settings of a declarative base that shape its models' tables: the index naming convention and extra annotation types. */
interface BaseConventions {
  /** The `ix` entry of the metadata's naming convention; null when the convention has none. */
  indexNaming: string | null;
  /** SQL types of the base's `type_annotation_map`, by absolute Python type name. */
  annotationTypes: Map<string, string>;
}

/** Follow a name to the value assigned to it at module level, in its own module or the one it is imported from. */
async function valueOf(
  project: Project,
  named: NamedModule,
  node: SyntaxNode,
): Promise<{ named: NamedModule; node: SyntaxNode }> {
  if (node.type !== "identifier") return { named, node };
  const local = assignments(named.module.root).get(node.text);
  if (local) return { named, node: local };
  const source = importedName(named, node.text);
  if (source === null) return { named, node };
  const moduleName = source.split(".").slice(0, -1).join(".");
  const file = await findModuleFile(project, moduleName);
  if (file === null) return { named, node };
  const owner = { module: await project.module(file), moduleName };
  const value = assignments(owner.module.root).get(source.split(".").pop() ?? "");
  return value ? { named: owner, node: value } : { named, node };
}

function conventionError(base: ModuleName, detail: string): CliError {
  return new CliError(`Cannot read the naming convention of ${base.moduleName}.${base.name}: ${detail}.`, {
    hint: "Write the migration by hand with `alembic revision --autogenerate`; nothing was written.",
  });
}

/** Read the `ix` naming template of a `MetaData(...)` call. */
async function indexNaming(
  project: Project,
  base: DeclarativeBaseDefinition,
  named: NamedModule,
  metadata: SyntaxNode,
): Promise<string | null> {
  const convention = callArguments(metadata).keywords.get("naming_convention");
  if (!convention) return DEFAULT_INDEX_NAMING;
  const dictionary = await valueOf(project, named, convention);
  if (dictionary.node.type !== "dictionary") throw conventionError(base, `${convention.text} is not a dict literal`);
  for (const pair of dictionary.node.namedChildren.filter((child) => child.type === "pair")) {
    const key = pair.child("key");
    const keyName = stringValue(key) ?? importedName(dictionary.named, dottedName(key) ?? "");
    if (keyName !== "ix" && !INDEX_CLASSES.has(keyName ?? "")) continue;
    const template = stringValue(pair.child("value"));
    if (template === null) throw conventionError(base, `its "ix" entry is not a string literal`);
    return template;
  }
  return null;
}

/** Read the naming convention and `type_annotation_map` of a declarative base. */
async function readBaseConventions(project: Project, base: DeclarativeBaseDefinition): Promise<BaseConventions> {
  const statement = base.statement;
  let metadata: SyntaxNode | undefined;
  let typeMap: SyntaxNode | undefined;
  if (statement.type === "class_definition") {
    const body = assignments(classBody(statement));
    metadata = body.get("metadata");
    typeMap = body.get("type_annotation_map");
  } else {
    const call = expressionOf(statement)?.child("right");
    if (call) metadata = callArguments(call).keywords.get("metadata");
  }
  let naming: string | null = DEFAULT_INDEX_NAMING;
  if (metadata) {
    const value = await valueOf(project, base, metadata);
    const callee = value.node.type === "call" ? dottedName(value.node.child("function")) : null;
    if (callee === null || !METADATA_CLASSES.has(qualified(value.named, callee))) {
      throw conventionError(
        base,
        `its metadata, ${metadata.text}, is not a MetaData(...) call that this tool can find`,
      );
    }
    naming = await indexNaming(project, base, value.named, value.node);
  }
  const annotationTypes = new Map<string, string>();
  if (typeMap) {
    if (typeMap.type !== "dictionary") throw conventionError(base, "its type_annotation_map is not a dict literal");
    for (const pair of typeMap.namedChildren.filter((child) => child.type === "pair")) {
      const key = pair.child("key");
      const value = pair.child("value");
      if (!key || !value) continue;
      annotationTypes.set(annotationType(base, key).name, await renderSqlType(project, base, value));
    }
  }
  return { indexNaming: naming, annotationTypes };
}

/**
 * Name an index as SQLAlchemy does with a naming convention template such as
 * `ix_%(column_0_label)s`. Throws for tokens that need an explicit index name.
 */
export function indexName(template: string, table: string, columns: readonly string[]): string {
  const tokens = new Map<string, string>([["table_name", table]]);
  for (const kind of ["name", "key", "label"]) {
    const values = columns.map((column) => (kind === "label" ? `${table}_${column}` : column));
    tokens.set(`column_0_${kind}`, values[0] ?? "");
    tokens.set(`column_0N_${kind}`, values.join(""));
    tokens.set(`column_0_N_${kind}`, values.join("_"));
  }
  return template.replace(/%%|%\(([A-Za-z0-9_]+)\)s/g, (match, token: string | undefined) => {
    if (match === "%%") return "%";
    const value = tokens.get(token ?? "");
    if (value === undefined) {
      throw new CliError(
        `Cannot name the index on ${table}.${columns.join(", ")}: the naming convention uses %(${token})s.`,
        { hint: "Write the migration by hand with `alembic revision --autogenerate`; nothing was written." },
      );
    }
    return value;
  });
}

function booleanKeyword(attribute: MappedAttribute, name: string): boolean | null {
  const node = attribute.keywords.get(name);
  if (!node) return null;
  if (node.type === "true") return true;
  if (node.type === "false") return false;
  throw new Error(`${attribute.attribute} sets ${name}=${node.text}, which is not True or False.`);
}

async function columnType(
  project: Project,
  named: NamedModule,
  attribute: MappedAttribute,
  conventions: BaseConventions,
): Promise<string> {
  if (attribute.sqlType) return renderSqlType(project, named, attribute.sqlType);
  const python = attribute.annotation ? annotationType(named, attribute.annotation).name : null;
  const type = python === null ? undefined : (conventions.annotationTypes.get(python) ?? ANNOTATION_TYPES.get(python));
  if (type === undefined)
    throw new Error(`No SQL type is known for ${attribute.attribute}: ${python ?? "(no annotation)"}.`);
  return type;
}

/**
 * Read the table that a model class of `named` declares, with its columns,
 * foreign keys and indexes, for a migration that creates it. It understands
 * the forms the resource scaffolds use and throws for others.
 */
export async function readModelTable(
  project: Project,
  named: NamedModule,
  className: string,
  base: DeclarativeBaseDefinition,
): Promise<TableDefinition> {
  const model = topLevelClasses(named).get(className);
  if (!model) throw new Error(`${named.module.path} does not define ${className}.`);
  const tableName = stringValue(assignments(classBody(model)).get("__tablename__") ?? null);
  if (tableName === null) throw new Error(`${className} has no __tablename__.`);
  const conventions = await readBaseConventions(project, base);
  const table: TableDefinition = { name: tableName, columns: [], indexes: [] };
  for (const attribute of mappedAttributes(named, model)) {
    const unsupported = [...attribute.keywords.keys()].filter(
      (name) => !TABLE_KEYWORDS.has(name) && !PYTHON_SIDE_KEYWORDS.has(name),
    );
    if (unsupported.length > 0) {
      const keywords = unsupported.join(", ");
      throw new Error(
        `${className}.${attribute.attribute} uses ${keywords}, which the migration writer does not translate.`,
      );
    }
    const primaryKey = booleanKeyword(attribute, "primary_key") ?? false;
    const optional = attribute.annotation ? annotationType(named, attribute.annotation).optional : false;
    const nullable = booleanKeyword(attribute, "nullable") ?? (primaryKey ? false : attribute.legacyColumn || optional);
    const index = booleanKeyword(attribute, "index") ?? false;
    const unique = booleanKeyword(attribute, "unique") ?? false;
    table.columns.push({
      name: attribute.columnName,
      type: await columnType(project, named, attribute, conventions),
      primaryKey,
      nullable,
      unique: unique && !index,
      foreignKey: attribute.foreignKey ? `sa.ForeignKey(${argumentsText(attribute.foreignKey)})` : null,
    });
    if (!index) continue;
    if (conventions.indexNaming === null) {
      throw conventionError(
        base,
        `it has no "ix" entry, so SQLAlchemy cannot name the index on ${tableName}.${attribute.columnName}`,
      );
    }
    const name = indexName(conventions.indexNaming, tableName, [attribute.columnName]);
    table.indexes.push({ name, columns: [attribute.columnName], unique });
  }
  return table;
}

/** The model of the users table that owns resources: its table and the key that a token subject names. */
export interface UserModel extends ModuleName {
  tableName: string;
  /** The primary key's attribute and column names. */
  keyAttribute: string;
  keyColumn: string;
  keyType: KeyType;
}

/** Check whether a class derives from the declarative base directly (mixins beside it allowed). */
function isModelOf(named: NamedModule, definition: SyntaxNode, base: ModuleName): boolean {
  const superclasses = definition.child("superclasses")?.namedChildren ?? [];
  const target = `${base.moduleName}.${base.name}`;
  return superclasses.some((node) => {
    const dotted = dottedName(node);
    return dotted !== null && qualified(named, dotted) === target;
  });
}

function keyType(named: NamedModule, attribute: MappedAttribute): KeyType | null {
  const python = attribute.annotation ? annotationType(named, attribute.annotation).name : null;
  if (python === "int" || python === "str" || python === "uuid.UUID") return python;
  const sqlName = attribute.sqlType
    ? dottedName(attribute.sqlType.type === "call" ? attribute.sqlType.child("function") : attribute.sqlType)
    : null;
  const resolved = sqlName === null ? null : qualified(named, sqlName);
  const owner = resolved?.split(".").slice(0, -1).join(".") ?? "";
  if (!owner.startsWith("sqlalchemy")) return null;
  return (KEY_TYPES_BY_SQL_TYPE.get(resolved?.split(".").pop() ?? "") as KeyType | undefined) ?? null;
}

/**
 * Find the model of the users table: a model of `base` named `User` or
 * with `__tablename__ = "users"`. Returns null when the project has none,
 * and throws when there are several or its primary key is not one column of
 * int, str or UUID values.
 */
export async function findUserModel(project: Project, base: DeclarativeBaseDefinition): Promise<UserModel | null> {
  const found: { named: NamedModule; name: string; tableName: string; node: SyntaxNode }[] = [];
  for (const named of await projectModules(project)) {
    for (const [name, node] of topLevelClasses(named)) {
      if (!isModelOf(named, node, base)) continue;
      const body = assignments(classBody(node));
      const tableName = stringValue(body.get("__tablename__") ?? null);
      if (tableName === null || body.get("__abstract__")?.type === "true") continue;
      if (tableName === "users" || name === "User") found.push({ named, name, tableName, node });
    }
  }
  if (found.length === 0) return null;
  const places = found.map((item) => `${item.named.moduleName}.${item.name}`).join(", ");
  const [model] = found;
  if (found.length > 1 || !model) {
    throw new CliError(`Found ${found.length} user models (${places}), so it is unclear which one owns the rows.`, {
      hint: "Keep one model named User or with the table users; nothing was written.",
    });
  }
  const keys = mappedAttributes(model.named, model.node).filter(
    (attribute) => booleanKeyword(attribute, "primary_key") === true,
  );
  const [key] = keys;
  const type = key && keys.length === 1 ? keyType(model.named, key) : null;
  if (!key || type === null) {
    throw new CliError(
      `${places} needs one primary key column of int, str or UUID values, because a token's subject names the owner by it.`,
      { hint: "Add the resource by hand; nothing was written." },
    );
  }
  return {
    moduleName: model.named.moduleName,
    name: model.name,
    tableName: model.tableName,
    keyAttribute: key.attribute,
    keyColumn: key.columnName,
    keyType: type,
  };
}
