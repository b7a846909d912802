import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { defaultOptions } from "../../src/generator/options.js";
import { templateContext } from "../../src/generator/plan.js";
import { loadCatalog } from "../../src/snippets/catalog.js";
import { renderSnippets, snippetHeader } from "../../src/snippets/render.js";

/** ruff's line-length in generated projects. */
const MAX_LINE_LENGTH = 88;

let workspace: string;

beforeEach(async () => {
  workspace = await mkdtemp(path.join(tmpdir(), "csf-catalog-"));
});

afterEach(async () => {
  await rm(workspace, { recursive: true, force: true });
});

async function writeSnippet(id: string, manifest: Record<string, unknown>): Promise<void> {
  await mkdir(path.join(workspace, id), { recursive: true });
  await writeFile(path.join(workspace, id, "snippet.json"), JSON.stringify(manifest));
  await writeFile(path.join(workspace, id, "code.py.hbs"), "x = 1\n");
}

const VALID = {
  id: "demo",
  version: 1,
  title: "Demo",
  description: "A snippet for tests.",
  target: "app/demo.py",
  source: "code.py.hbs",
};

describe("snippet catalog", () => {
  it("loads the bundled snippets with unique targets", async () => {
    const catalog = await loadCatalog();
    const ids = catalog.map((snippet) => snippet.id);
    expect(ids).toEqual([
      "api-keys",
      "app-settings",
      "cors",
      "error-log",
      "errors",
      "handlers",
      "inference",
      "limiter",
      "llm-budget",
      "llm-guards",
      "login-limit",
      "middleware",
      "model-serving",
      "owner-deps",
      "pretrained",
      "rate-limit",
      "redaction",
      "security",
      "settings",
      "token-bucket",
      "tokens",
    ]);
    const targets = catalog.flatMap((snippet) => (snippet.target ? [snippet.target] : []));
    expect(new Set(targets).size).toBe(targets.length);
  });

  it("keeps add snippets free of project imports", async () => {
    const placed = (await loadCatalog()).filter((snippet) => snippet.module !== undefined);
    expect(placed.map((snippet) => snippet.module)).toEqual([
      "config.py",
      "cors.py",
      "error_log.py",
      "errors.py",
      "inference.py",
      "rate_limit.py",
      "llm_budget.py",
      "llm_guards.py",
      "middleware.py",
      "model_serving.py",
      "pretrained.py",
      "redaction.py",
      "token_bucket.py",
      "security.py",
    ]);
    for (const snippet of placed) {
      const source = await readFile(snippet.source, "utf8");
      expect(source, snippet.id).not.toContain("{{");
      expect(source, snippet.id).not.toMatch(/^from app\./m);
    }
  });

  it("keeps every header line within ruff's line length", async () => {
    for (const snippet of await loadCatalog()) {
      expect(snippetHeader({ id: snippet.id, version: 99 }).length).toBeLessThanOrEqual(MAX_LINE_LENGTH);
    }
  });

  it("renders only the snippets whose condition holds", async () => {
    const catalog = await loadCatalog();
    const withoutAccounts = templateContext({
      name: "demo",
      options: { ...defaultOptions(), auth: "none" },
      generatorVersion: "0.1.0",
    });
    const rendered = await renderSnippets(catalog, withoutAccounts);
    expect(rendered.map((item) => item.snippet.id)).toEqual(["error-log", "errors", "middleware", "rate-limit", "settings"]);
    for (const { snippet, file } of rendered) {
      expect(file.content.startsWith(`${snippetHeader(snippet)}\n"""`)).toBe(true);
    }
  });

  it("keeps the source text after the header line", async () => {
    const errors = (await loadCatalog()).find((snippet) => snippet.id === "errors");
    const context = templateContext({ name: "demo", options: defaultOptions(), generatorVersion: "0.1.0" });
    const [rendered] = await renderSnippets([errors!], context);
    const source = await readFile(errors!.source, "utf8");
    expect(rendered?.file.content).toBe(`${snippetHeader(errors!)}\n${source}`);
  });

  it.each([
    [
      "an id unlike its folder",
      { id: "other" },
      /"id" must be a lowercase name of at most 13 characters equal to the folder name/,
    ],
    ["a version of zero", { version: 0 }, /"version" must be a positive integer/],
    ["a target outside the project", { target: "../demo.py" }, /"target" must be a normalized relative path/],
    ["a module in a folder", { module: "core/demo.py" }, /"module" must be a Python file name/],
    ["neither a target nor a module", { target: undefined }, /it needs a "target", a "module" or both/],
    ["a target that is not Python", { target: "app/demo.txt" }, /"target" must be a normalized relative path/],
    ["a source in another folder", { source: "../code.py.hbs" }, /"source" must name a .hbs file/],
    ["a condition that is not a key", { when: "auth == jwt" }, /"when" must name a template context key/],
    ["a missing title", { title: "" }, /"title" must be a non-empty string/],
  ])("rejects a manifest with %s", async (_label, change, message) => {
    await writeSnippet("demo", { ...VALID, ...change });
    await expect(loadCatalog(workspace)).rejects.toThrow(message);
  });

  it("rejects an overlong id", async () => {
    await writeSnippet("fourteen-chars", { ...VALID, id: "fourteen-chars" });
    await expect(loadCatalog(workspace)).rejects.toThrow(/"id" must be a lowercase name of at most 13 characters/);
  });

  it("rejects two snippets with one target", async () => {
    await writeSnippet("demo", VALID);
    await writeSnippet("other", { ...VALID, id: "other" });
    await expect(loadCatalog(workspace)).rejects.toThrow("Snippets demo and other both write app/demo.py.");
  });

  it("rejects a condition that names no boolean", async () => {
    await writeSnippet("demo", { ...VALID, when: "authJwtt" });
    const catalog = await loadCatalog(workspace);
    const context = templateContext({ name: "demo", options: defaultOptions(), generatorVersion: "0.1.0" });
    await expect(renderSnippets(catalog, context)).rejects.toThrow(/"when" names authJwtt, which is not a boolean/);
  });
});
