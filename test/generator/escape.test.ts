import { describe, expect, it } from "vitest";
import { escapeMarkdown, quoteEnvValue, quoteString, requireIdentifier } from "../../src/generator/escape.js";
import { runPythonJson } from "../helpers/python.js";

const HOSTILE_VALUES = [
  "plain",
  'quote " and backslash \\',
  "newline\nand\rreturn\ttab",
  "\"\"\" triple quotes ''' and ${HOME} and {{ handlebars }}",
  "'; import os; os.system('id') #",
  "control \u0001\u0008\u000c\u001f\u007f",
  "unicode é ü 中文 \u2028 line separator",
  "astral 😀 𝔘",
  "]]\n[tool.evil]\nx = 1",
  "key: value\n- list",
];

// Each program reads a list of quoted literals and returns the decoded strings.
const PYTHON_LITERAL = "import ast, json, sys; print(json.dumps([ast.literal_eval(x) for x in json.load(sys.stdin)]))";
const TOML_LITERAL =
  "import json, sys, tomllib; print(json.dumps([tomllib.loads('v = ' + x)['v'] for x in json.load(sys.stdin)]))";
const YAML_LITERAL =
  "import json, sys, yaml; print(json.dumps([yaml.safe_load('v: ' + x)['v'] for x in json.load(sys.stdin)]))";
const DOTENV_VALUE =
  "import io, json, sys; from dotenv import dotenv_values; " +
  "print(json.dumps([dotenv_values(stream=io.StringIO('V=' + x + '\\n'))['V'] for x in json.load(sys.stdin)]))";

describe("quoteString", () => {
  const quoted = HOSTILE_VALUES.map(quoteString);

  it("round-trips through Python's parser", async () => {
    expect(await runPythonJson(PYTHON_LITERAL, quoted)).toEqual(HOSTILE_VALUES);
  });

  it("round-trips through tomllib", async () => {
    expect(await runPythonJson(TOML_LITERAL, quoted)).toEqual(HOSTILE_VALUES);
  });

  it("round-trips through PyYAML", async () => {
    expect(await runPythonJson(YAML_LITERAL, quoted)).toEqual(HOSTILE_VALUES);
  });

  it("emits one line of ASCII", () => {
    for (const literal of quoted) {
      expect(literal).toMatch(/^"[\x20-\x7e]*"$/);
    }
  });

  it("rejects a lone surrogate", () => {
    expect(() => quoteString("bad \ud800")).toThrow(/lone UTF-16 surrogate/);
  });
});

describe("quoteEnvValue", () => {
  const safeValues = ["plain", "it's $USER", "back\\slash", "a#b c", 'dq " x'];

  it("round-trips through python-dotenv without expansion", async () => {
    const quoted = safeValues.map(quoteEnvValue);
    expect(await runPythonJson(DOTENV_VALUE, quoted)).toEqual(safeValues);
  });

  it("rejects ${, which python-dotenv expands even in single quotes", () => {
    expect(() => quoteEnvValue("${HOME}")).toThrow(/would expand/);
  });

  it("rejects line breaks, which would start a new variable", () => {
    expect(() => quoteEnvValue("x\nSECRET_KEY=evil")).toThrow(/control character/);
  });
});

describe("escapeMarkdown", () => {
  it("escapes markup and keeps text on one line", () => {
    expect(escapeMarkdown("# [x](javascript:alert(1)) <b>\n*y* my-api")).toBe(
      "\\# \\[x\\](javascript:alert(1)) &lt;b\\> \\*y\\* my-api",
    );
  });
});

describe("requireIdentifier", () => {
  it("passes a plain name through", () => {
    expect(requireIdentifier("my-api")).toBe("my-api");
  });

  it.each(["my api", "x;rm -rf /", "A", "$(id)"])("rejects %j", (value) => {
    expect(() => requireIdentifier(value)).toThrow(/Expected a lowercase name/);
  });
});
