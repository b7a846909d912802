import { readFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { listTemplateFiles, outputPath, ESCAPE_HELPERS } from "../../src/generator/render.js";
import { planProject } from "../../src/generator/plan.js";
import { defaultOptions } from "../../src/generator/options.js";
import { TEMPLATES_ROOT } from "../../src/paths.js";

const BLOCK_SYNTAX = /^(#|\/|else\b|!|~?#|~?\/)/;
// Booleans and loops may appear bare in block helpers; values never may.
const MUSTACHE = /{{{?~?\s*([^}]*?)\s*~?}}}?/g;

async function templateSources(): Promise<[string, string][]> {
  const files = (await listTemplateFiles(TEMPLATES_ROOT)).filter((file) => file.endsWith(".hbs"));
  return Promise.all(
    files.map(async (file): Promise<[string, string]> => [file, await readFile(path.join(TEMPLATES_ROOT, file), "utf8")]),
  );
}

describe("templates", () => {
  it("interpolate values only through an escaping helper", async () => {
    const unescaped: string[] = [];
    for (const [file, source] of await templateSources()) {
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
