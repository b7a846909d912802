import { describe, expect, it } from "vitest";
import { parseCreateArgs } from "../../src/generator/args.js";
import { OPTION_SPECS, defaultOptions } from "../../src/generator/options.js";

describe("parseCreateArgs", () => {
  it("reads the directory and every option flag", () => {
    const args = parseCreateArgs([
      "svc",
      "--auth",
      "none",
      "--db",
      "postgres",
      "--cors-origins",
      "https://a.example.com",
      "--rate-limit-storage",
      "redis",
    ]);
    expect(args.directory).toBe("svc");
    expect(args.options).toEqual({
      auth: "none",
      db: "postgres",
      corsOrigins: ["https://a.example.com"],
      rateLimitStorage: "redis",
    });
  });

  it("leaves options unset when no flag is given", () => {
    expect(parseCreateArgs([]).options).toEqual({});
  });

  it("maps post-step flags", () => {
    const args = parseCreateArgs(["x", "--no-git", "--install", "--dry-run", "--force", "-y"]);
    expect(args.git).toBe(false);
    expect(args.install).toBe(true);
    expect(args.dryRun).toBe(true);
    expect(args.force).toBe(true);
    expect(args.yes).toBe(true);
  });

  it("rejects an unknown choice, naming the value and the choices", () => {
    expect(() => parseCreateArgs(["--db", "mysql"])).toThrow('Invalid value "mysql" for --db.');
    try {
      parseCreateArgs(["--db", "mysql"]);
    } catch (error) {
      expect((error as { hint: string }).hint).toBe("Use one of: sqlite, postgres.");
    }
  });

  it("rejects an unknown flag with exit code 2", () => {
    expect(() => parseCreateArgs(["--databse", "x"])).toThrow('Unknown option "--databse".');
    try {
      parseCreateArgs(["--databse"]);
    } catch (error) {
      expect((error as { exitCode: number }).exitCode).toBe(2);
    }
  });

  it("reads --llm and --no-llm", () => {
    expect(parseCreateArgs(["--llm"]).options.llm).toBe(true);
    expect(parseCreateArgs(["--no-llm"]).options.llm).toBe(false);
    expect(parseCreateArgs([]).options.llm).toBeUndefined();
  });

  it("rejects --llm with --no-llm", () => {
    expect(() => parseCreateArgs(["--llm", "--no-llm"])).toThrow("--llm and --no-llm contradict each other.");
  });

  it("rejects an unknown model kind", () => {
    expect(() => parseCreateArgs(["--model", "pickle"])).toThrow('Invalid value "pickle" for --model.');
  });

  it("rejects two directories", () => {
    expect(() => parseCreateArgs(["a", "b"])).toThrow('Unexpected argument "b"');
  });

  it("rejects --install with --no-install", () => {
    expect(() => parseCreateArgs(["--install", "--no-install"])).toThrow(/contradict/);
  });
});

describe("option table", () => {
  it("has a unique flag per option", () => {
    const flags = OPTION_SPECS.map((spec) => spec.flag);
    expect(new Set(flags).size).toBe(flags.length);
  });

  it("defaults to JWT, SQLite, no origins, memory storage, no AI", () => {
    expect(defaultOptions()).toEqual({
      auth: "jwt",
      db: "sqlite",
      corsOrigins: [],
      rateLimitStorage: "memory",
      llm: false,
      model: "none",
    });
  });
});
