import { readFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { listTemplateFiles, outputPath, ESCAPE_HELPERS } from "../../src/generator/render.js";
import { planProject } from "../../src/generator/plan.js";
import { defaultOptions } from "../../src/generator/options.js";
import { SNIPPETS_ROOT, TEMPLATES_ROOT } from "../../src/paths.js";
import { snippetHeader } from "../../src/snippets/render.js";
import { parseState, sha256, STATE_FILE } from "../../src/snippets/state.js";

const BLOCK_SYNTAX = /^(#|\/|else\b|!|~?#|~?\/)/;
// Booleans and loops may appear bare in block helpers; values never may.
const MUSTACHE = /{{{?~?\s*([^}]*?)\s*~?}}}?/g;

/** Read every Handlebars source: project templates and security snippets. */
async function templateSources(): Promise<[string, string][]> {
  const sources: [string, string][] = [];
  for (const root of [TEMPLATES_ROOT, SNIPPETS_ROOT]) {
    const files = (await listTemplateFiles(root)).filter((file) => file.endsWith(".hbs"));
    for (const file of files) {
      sources.push([path.join(path.basename(root), file), await readFile(path.join(root, file), "utf8")]);
    }
  }
  return sources;
}

describe("templates", () => {
  it("interpolate values only through an escaping helper", async () => {
    const unescaped: string[] = [];
    const sources = await templateSources();
    expect(sources.some(([file]) => file.startsWith("snippets"))).toBe(true);
    for (const [file, source] of sources) {
      for (const match of source.matchAll(MUSTACHE)) {
        const expression = match[1] ?? "";
        if (BLOCK_SYNTAX.test(expression)) continue;
        const helper = expression.split(/\s+/)[0] ?? "";
        if (!(helper in ESCAPE_HELPERS) || match[0].startsWith("{{{")) {
          unescaped.push(`${file}: ${match[0]}`);
        }
      }
    }
    expect(unescaped).toEqual([]);
  });

  it("map underscore names to dotfiles and drop .hbs", () => {
    expect(outputPath(path.join("base", "_gitignore"))).toBe("base/.gitignore");
    expect(outputPath(path.join("base", "_env.example.hbs"))).toBe("base/.env.example");
    expect(outputPath(path.join("base", "app", "__init__.py"))).toBe("base/app/__init__.py");
    expect(outputPath(path.join("base", "app", "_compat.py.hbs"))).toBe("base/app/_compat.py");
  });

  it("plan each output path once", async () => {
    const files = await planProject({ name: "demo", options: defaultOptions(), generatorVersion: "0.0.0" }, "x".repeat(64));
    const paths = files.map((file) => file.path);
    expect(paths).toContain(".env");
    expect(paths).toContain("app/main.py");
    expect(new Set(paths).size).toBe(paths.length);
  });
});

describe("state file in the plan", () => {
  const spec = { name: "demo", options: defaultOptions(), generatorVersion: "9.9.9" };
  const secret = "s".repeat(64);

  async function planned(options = spec.options) {
    const files = await planProject({ ...spec, options }, secret);
    const stateFile = files.find((file) => file.path === STATE_FILE);
    return { files, state: parseState(stateFile?.content ?? "", STATE_FILE) };
  }

  it("records the generator version and the options", async () => {
    const { state } = await planned();
    expect(state.generator).toEqual({ name: "create-secure-fastapi", version: "9.9.9" });
    expect(state.project).toEqual({ name: "demo", options: defaultOptions() });
  });

  it("lists every snippet file with its hash and base", async () => {
    const { files, state } = await planned();
    const byPath = new Map(files.map((file) => [file.path, file.content]));
    expect(state.files.map((file) => file.snippet).sort()).toEqual([
      "error-log",
      "errors",
      "login-limit",
      "middleware",
      "owner-deps",
      "rate-limit",
      "security",
      "settings",
    ]);
    for (const entry of state.files) {
      const content = byPath.get(entry.path) ?? "";
      expect(entry.base, entry.path).toBe(content);
      expect(entry.sha256, entry.path).toBe(sha256(content));
      expect(content.split("\n")[0], entry.path).toBe(snippetHeader({ id: entry.snippet, version: entry.version }));
    }
  });

  it("leaves out account snippets without accounts", async () => {
    const { state } = await planned({ ...defaultOptions(), auth: "none" });
    expect(state.files.map((file) => file.path)).toEqual([
      "app/core/config.py",
      "app/core/error_log.py",
      "app/core/errors.py",
      "app/core/middleware.py",
      "app/core/rate_limit.py",
    ]);
  });

  it("contains no secret", async () => {
    const { files } = await planned();
    const stateText = files.find((file) => file.path === STATE_FILE)?.content ?? "";
    expect(stateText).not.toContain(secret);
    expect(files.find((file) => file.path === ".env")?.content).toContain(secret);
  });
});
