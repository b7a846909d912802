import type { Project } from "../project.js";
import { ensureFromImport, fromModule, topLevelImports } from "../python/imports.js";
import { absoluteModuleName, findModuleFile, type NamedModule } from "../python/modules.js";
import type { DeclarativeBaseDefinition } from "../python/sqlalchemy.js";
import {
  applyEdits,
  dottedName,
  expressionOf,
  lineStart,
  nextLineStart,
  statements,
  type SyntaxNode,
} from "../python/source.js";
import { readModelTable } from "../python/tables.js";
import type { AlembicSetup } from "./config.js";
import { addCreateTableRevision } from "./migration.js";

/** Nodes whose bodies run only when called, not when their module is imported. */
const DEFERRED_BODIES = new Set(["function_definition", "lambda"]);

/** List the import statements that run when a module is imported, those in `if`, `try` and class bodies included. */
function importStatements(node: SyntaxNode): SyntaxNode[] {
  const found: SyntaxNode[] = [];
  for (const child of node.children) {
    if (child.type === "import_statement" || child.type === "import_from_statement") found.push(child);
    else if (!DEFERRED_BODIES.has(child.type)) found.push(...importStatements(child));
  }
  return found;
}

/** List the absolute dotted names that one import statement may load: the module and each imported name. */
function importTargets(statement: SyntaxNode, importer: NamedModule): string[] {
  const names = statement.childrenOf("name").map((child) => {
    const target = child.type === "aliased_import" ? child.child("name") : child;
    return dottedName(target) ?? target?.text ?? "";
  });
  if (statement.type === "import_statement") return names;
  const module = absoluteModuleName(fromModule(statement), importer);
  return [module, ...names.map((name) => `${module}.${name}`)];
}

/**
 * Find the project files that importing `start` runs, itself included:
 * module-level imports followed through the project's own modules, with
 * each package's `__init__.py`. Imports inside functions are not followed,
 * so the result may miss modules that a function such as
 * `run_migrations_online` imports.
 */
export async function importedFiles(project: Project, start: string): Promise<Set<string>> {
  const seen = new Set([start]);
  const queue = [start];
  while (queue.length > 0) {
    const file = queue.shift() as string;
    const importer = { module: await project.module(file), moduleName: await project.moduleName(file) };
    for (const statement of importStatements(importer.module.root)) {
      for (const target of importTargets(statement, importer)) {
        const parts = target.split(".");
        for (let length = 1; length <= parts.length; length++) {
          const found = await findModuleFile(project, parts.slice(0, length).join("."));
          if (found !== null && !seen.has(found)) {
            seen.add(found);
            queue.push(found);
          }
        }
      }
    }
  }
  return seen;
}

/** Return the value env.py assigns to `target_metadata` at module level; null when it assigns none. */
function targetMetadata(root: SyntaxNode): SyntaxNode | null {
  for (const statement of statements(root)) {
    const assignment = expressionOf(statement);
    if (assignment?.type === "assignment" && assignment.child("left")?.text === "target_metadata") {
      return assignment.child("right");
    }
  }
  return null;
}

/** Append `# noqa: F401` to the line that imports `name` from `module`, unless that line has a comment. */
function markImportUsed(text: string, root: SyntaxNode, module: string, name: string): string {
  const statement = topLevelImports({ path: "", text, root }).find(
    (item) => item.type === "import_from_statement" && fromModule(item) === module,
  );
  const imported = statement?.childrenOf("name").find((child) => child.text === name);
  if (!imported) return text;
  const start = lineStart(text, imported.start);
  const end = nextLineStart(text, imported.end);
  const line = text.slice(start, end).replace(/\n$/, "");
  if (line.includes("#")) return text;
  return `${text.slice(0, start)}${line}  # noqa: F401\n${text.slice(end)}`;
}

/**
 * Make sure that the metadata env.py hands to autogenerate contains the
 * models of `moduleFile`. When importing env.py does not import that module,
 * stage `from package import module  # noqa: F401` in env.py and return a
 * note for the user, else return null. An env.py whose `target_metadata` is
 * None or missing is left alone.
 */
export async function registerModelModule(
  project: Project,
  setup: AlembicSetup,
  moduleFile: string,
  className: string,
): Promise<string | null> {
  const env = await project.module(setup.envFile);
  const target = targetMetadata(env.root);
  if (target === null || target.type === "none") return null;
  if ((await importedFiles(project, setup.envFile)).has(moduleFile)) return null;

  const moduleName = await project.moduleName(moduleFile);
  const packageName = moduleName.split(".").slice(0, -1).join(".");
  const name = moduleName.split(".").pop() ?? "";
  const edits = ensureFromImport(env, packageName, [name], await project.firstPartyNames());
  const text = applyEdits(env.text, edits);
  project.stage(setup.envFile, text);
  const staged = await project.module(setup.envFile);
  project.stage(setup.envFile, markImportUsed(text, staged.root, packageName, name));
  return `${setup.envFile} now imports ${moduleName}, so that ${className} is in target_metadata for \`alembic revision --autogenerate\` and \`alembic check\`.`;
}

/**
 * Stage what a new model needs in a project that uses Alembic. That is a
 * revision after the current head that creates the model's table with its
 * columns, foreign keys and indexes, and the import in env.py that lets
 * autogenerate see the model. The model is read from the staged text of
 * `model.file`. Returns the revision's path and notes for the user.
 */
export async function addModelMigration(
  project: Project,
  setup: AlembicSetup,
  model: { file: string; className: string },
  base: DeclarativeBaseDefinition,
): Promise<{ file: string; notes: string[] }> {
  const named = { module: await project.module(model.file), moduleName: await project.moduleName(model.file) };
  const table = await readModelTable(project, named, model.className, base);
  const file = await addCreateTableRevision(project, setup, table);
  const notes = [`Run \`alembic upgrade head\` to create the ${table.name} table (${file}).`];
  const registered = await registerModelModule(project, setup, model.file, model.className);
  if (registered) notes.push(registered);
  return { file, notes };
}
