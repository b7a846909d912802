import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { defaultOptions } from "../../src/generator/options.js";
import { compareVersions } from "../../src/snippets/compatibility.js";
import { snippetHeader } from "../../src/snippets/render.js";
import {
  createState,
  parseState,
  readState,
  serializeState,
  sha256,
  STATE_FILE,
  type ProjectState,
} from "../../src/snippets/state.js";

const BASE = `${snippetHeader({ id: "settings", version: 1 })}\nSETTING = 1\n`;

function validState(): ProjectState {
  return createState({ name: "demo", options: defaultOptions() }, "0.1.0", [
    { path: "app/core/config.py", snippet: "settings", version: 1, content: BASE },
  ]);
}

/** Serialize the valid state with one change applied to its JSON data. */
function variant(change: (data: Record<string, any>) => void): string {
  const data = JSON.parse(serializeState(validState())) as Record<string, any>;
  change(data);
  return JSON.stringify(data);
}

describe("state file", () => {
  it("round-trips through serialize and parse", () => {
    const state = validState();
    expect(parseState(serializeState(state), STATE_FILE)).toEqual(state);
  });

  it("records the hash of the content as written", () => {
    const [file] = validState().files;
    expect(file?.sha256).toBe(sha256(BASE));
    expect(file?.base).toBe(BASE);
  });

  it("defaults options missing from older files", () => {
    const text = variant((data) => {
      delete data.project.options.rateLimitStorage;
    });
    expect(parseState(text, STATE_FILE).project.options?.rateLimitStorage).toBe("memory");
  });

  const corrupt: [string, (data: Record<string, any>) => void, RegExp][] = [
    ["an unknown format", (data) => (data.format = 0), /format 0 is unknown/],
    ["a missing generator", (data) => delete data.generator, /generator must be an object/],
    ["an invalid project name", (data) => (data.project.name = "Not Valid"), /project.name "Not Valid"/],
    ["an unknown option", (data) => (data.project.options.colour = "red"), /unknown keys colour/],
    ["an invalid option value", (data) => (data.project.options.db = "mysql"), /project.options.db/],
    ["a wildcard CORS origin", (data) => (data.project.options.corsOrigins = ["*"]), /project.options.corsOrigins/],
    ["files that are not a list", (data) => (data.files = {}), /files must be a list/],
    [
      "a path outside the project",
      (data) => (data.files[0].path = "../x.py"),
      /not a relative path inside the project/,
    ],
    ["an absolute path", (data) => (data.files[0].path = "/etc/passwd"), /not a relative path inside the project/],
    ["a version of zero", (data) => (data.files[0].version = 0), /version must be a positive integer/],
    ["a short hash", (data) => (data.files[0].sha256 = "abc"), /sha256 must be 64 hexadecimal digits/],
    [
      "a base without its header",
      (data) => (data.files[0].base = "x = 1\n"),
      /base does not start with the header of settings v1/,
    ],
    [
      "a base of another version",
      (data) => (data.files[0].version = 2),
      /base does not start with the header of settings v2/,
    ],
    ["a file listed twice", (data) => data.files.push(data.files[0]), /app\/core\/config.py is listed twice/],
  ];

  it.each(corrupt)("rejects %s, naming the file", (_label, change, message) => {
    const parse = () => parseState(variant(change), "/project/.secure-fastapi.json");
    expect(parse).toThrow(message);
    expect(parse).toThrow(/^Invalid state file \/project\/\.secure-fastapi\.json: /);
  });

  it("rejects text that is not JSON", () => {
    expect(() => parseState("{", STATE_FILE)).toThrow(/not valid JSON/);
  });

  it("asks to upgrade for a newer format", () => {
    expect(() => parseState(JSON.stringify({ format: 2 }), STATE_FILE)).toThrow(
      /has format 2, which this version does not read/,
    );
  });

  it("reports a missing file with what to do", async () => {
    const folder = await mkdtemp(path.join(tmpdir(), "csf-state-"));
    try {
      await expect(readState(folder)).rejects.toThrow(`No ${STATE_FILE} in ${folder}`);
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });
});

describe("compareVersions", () => {
  it.each([
    ["0.2.0", "0.1.0", 1],
    ["0.1.0", "0.2.0", -1],
    ["0.10.0", "0.9.9", 1],
    ["1.0.0", "1.0.0", 0],
    ["v1.0.0", "1.0.0", 0],
    ["1.0.0", "1.0.0-rc.1", 1],
    ["1.0.0-rc.2", "1.0.0-rc.10", -1],
    ["1.0.0-alpha", "1.0.0-alpha.1", -1],
    ["1.0.0-beta", "1.0.0-1", 1],
    ["1.0.0+build.5", "1.0.0", 0],
  ])("orders %s against %s as %i", (a, b, sign) => {
    expect(Math.sign(compareVersions(a, b) ?? Number.NaN)).toBe(sign);
  });

  it("returns null for a version that is not semantic", () => {
    expect(compareVersions("next", "0.1.0")).toBeNull();
  });
});
