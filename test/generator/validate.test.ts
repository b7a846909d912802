import { describe, expect, it } from "vitest";
import { UsageError } from "../../src/errors.js";
import { normalizeProjectName, parseCorsOrigins, validateCorsOrigin } from "../../src/generator/validate.js";

describe("normalizeProjectName", () => {
  it.each([
    ["my-api", "my-api"],
    ["My_API", "my-api"],
    ["billing.service", "billing-service"],
    ["api2", "api2"],
  ])("normalises %j to %j", (raw, expected) => {
    expect(normalizeProjectName(raw)).toBe(expected);
  });

  it.each(["2fast", "-api", "api-", "", "my api", "café", "class", "import"])(
    "rejects %j as a package name",
    (raw) => {
      expect(() => normalizeProjectName(raw)).toThrow(/not a valid Python package name/);
    },
  );

  it.each(["a/b", "a\\b", "..", "a..", "../x"])("rejects path-like %j", (raw) => {
    expect(() => normalizeProjectName(raw)).toThrow(/path separator or "\.\."/);
  });

  it.each(["api\0", "api\nx", "api\r"])("rejects control characters in %j", (raw) => {
    expect(() => normalizeProjectName(raw)).toThrow(/NUL byte or a line break/);
  });

  it.each(["fastapi", "SQLAlchemy", "pydantic_settings", "redis", "pytest"])("rejects dependency name %j", (raw) => {
    expect(() => normalizeProjectName(raw)).toThrow(/name of one of the project's dependencies/);
  });

  it("names the value in the error", () => {
    expect(() => normalizeProjectName("9lives")).toThrow('"9lives"');
  });
});

describe("validateCorsOrigin", () => {
  it.each([
    "https://app.example.com",
    "https://app.example.com:8443",
    "http://localhost:5173",
    "http://127.0.0.1:3000",
    "http://localhost",
    "https://xn--bcher-kva.example",
    "https://10.0.0.1:8443",
  ])("accepts %s", (origin) => {
    expect(validateCorsOrigin(origin)).toBe(origin);
  });

  it.each([
    ["*", /wildcards/],
    ["https://*.example.com", /wildcards/],
    ["https://app.example.com/", /no path/],
    ["https://app.example.com/api", /no path/],
    ["https://App.example.com", /lower case\. Use https:\/\/app\.example\.com$/],
    ["https://app.example.com:443", /default port of the scheme\. Use https:\/\/app\.example\.com$/],
    ["http://localhost:80", /default port of the scheme\. Use http:\/\/localhost$/],
    ["http://app.example.com", /plain http is allowed only/],
    ["ftp://files.example.com", /scheme must be https or http/],
    ["app.example.com", /not a URL/],
    ["https://user@app.example.com", /no path/],
    ["https://app.example.com?x=1", /no path/],
    ['https://a.example.com"', /DNS name or an IPv4 address/],
    ["https://[::1]:8443", /IPv6 literals are not supported/],
    ["https://a_b.example.com", /DNS name/],
    ["https://a..example.com", /DNS name/],
  ])("rejects %s", (origin, message) => {
    let caught: unknown;
    try {
      validateCorsOrigin(origin);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(UsageError);
    const usage = caught as UsageError;
    expect(`${usage.message} ${usage.hint}`).toMatch(message);
    expect(usage.message).toContain(JSON.stringify(origin));
  });
});

describe("parseCorsOrigins", () => {
  it("splits, trims and drops duplicates", () => {
    expect(parseCorsOrigins(" https://a.example.com, https://b.example.com,https://a.example.com ")).toEqual([
      "https://a.example.com",
      "https://b.example.com",
    ]);
  });

  it("returns no origins for an empty value", () => {
    expect(parseCorsOrigins("")).toEqual([]);
  });
});
