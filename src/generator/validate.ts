import { UsageError } from "../errors.js";
import { dependencyNames } from "./python-deps.js";

const NAME_PATTERN = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/;

// Python keywords cannot be import names, and the package name becomes one.
const PYTHON_KEYWORDS = new Set(
  (
    "false none true and as assert async await break class continue def del " +
    "elif else except finally for from global if import in is lambda nonlocal " +
    "not or pass raise return try while with yield"
  ).split(" "),
);

const LOOPBACK_HOSTS = new Set(["localhost", "127.0.0.1"]);

// A DNS name (letters, digits, inner hyphens; punycode for other scripts) or
// an IPv4 address, as the URL parser has normalised it.
const HOST_LABEL = "[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?";
const HOST_PATTERN = new RegExp(`^${HOST_LABEL}(?:\\.${HOST_LABEL})*$`);

/** Reject control characters that no file name or flag value should carry. */
export function rejectControlCharacters(label: string, value: string): void {
  if (value.includes("\0") || /[\r\n]/.test(value)) {
    throw new UsageError(
      `Invalid ${label} ${JSON.stringify(value)}: it contains a NUL byte or a line break.`,
      `Choose a ${label} without control characters.`,
    );
  }
}

/**
 * Normalise a project name the way PEP 503 does (lowercase, runs of "-", "_"
 * and "." become one "-") and check that it can also serve as a Python import
 * name once "-" becomes "_".
 */
export function normalizeProjectName(raw: string): string {
  rejectControlCharacters("project name", raw);
  if (/[\\/]/.test(raw) || raw.includes("..")) {
    throw new UsageError(
      `Invalid project name ${JSON.stringify(raw)}: it contains a path separator or "..".`,
      "Pass the folder as the directory argument and a plain name with --name, for example --name my-api.",
    );
  }
  const name = raw.trim().toLowerCase().replace(/[-_.]+/g, "-");
  if (!NAME_PATTERN.test(name) || PYTHON_KEYWORDS.has(name)) {
    throw new UsageError(
      `Invalid project name ${JSON.stringify(raw)}: it is not a valid Python package name.`,
      "Use letters, digits and single hyphens, starting with a letter, for example my-api.",
    );
  }
  if (dependencyNames().has(name)) {
    // pip cannot install a project that depends on a distribution of its own name.
    throw new UsageError(
      `Invalid project name ${JSON.stringify(raw)}: it is the name of one of the project's dependencies.`,
      `Choose another name, for example --name ${name}-service.`,
    );
  }
  return name;
}

/** Say why `origin` differs from the origin a browser would send for `url`. */
function originMismatch(origin: string, url: URL): string {
  const base = `${url.protocol}//${url.host}`;
  if (url.origin !== "null" && origin.toLowerCase() === base.toLowerCase() && origin !== base) {
    return "browsers send the scheme and host in lower case";
  }
  if (url.port === "" && /:\d+$/.test(origin) && !/:\d+\/?$/.test(url.origin)) {
    return "browsers leave out the default port of the scheme";
  }
  return "an origin is scheme://host[:port] with no path, query or trailing slash";
}

/**
 * Check one CORS origin: exactly `scheme://host[:port]`, https unless the host
 * is localhost or 127.0.0.1. Browsers compare origins as exact strings, so a
 * path, a trailing slash or an uppercase host would never match.
 */
export function validateCorsOrigin(origin: string): string {
  rejectControlCharacters("CORS origin", origin);
  if (origin === "*" || origin.includes("*")) {
    throw new UsageError(
      `Invalid CORS origin ${JSON.stringify(origin)}: wildcards let every website call the API.`,
      "List each allowed origin explicitly, for example --cors-origins https://app.example.com.",
    );
  }
  const url = parseOrigin(origin);
  if (url.origin !== origin) {
    throw new UsageError(
      `Invalid CORS origin ${JSON.stringify(origin)}: ${originMismatch(origin, url)}.`,
      url.origin === "null" ? "Use an http or https URL." : `Use ${url.origin}`,
    );
  }
  if (!HOST_PATTERN.test(url.hostname)) {
    throw new UsageError(
      `Invalid CORS origin ${JSON.stringify(origin)}: the host must be a DNS name or an IPv4 address.`,
      "Use a host name such as app.example.com (IPv6 literals are not supported).",
    );
  }
  if (url.protocol === "http:" && !LOOPBACK_HOSTS.has(url.hostname)) {
    throw new UsageError(
      `Invalid CORS origin ${JSON.stringify(origin)}: plain http is allowed only for localhost and 127.0.0.1.`,
      `Use https://${url.host}`,
    );
  }
  return origin;
}

function parseOrigin(origin: string): URL {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    throw new UsageError(
      `Invalid CORS origin ${JSON.stringify(origin)}: it is not a URL.`,
      "Write it as scheme://host[:port], for example https://app.example.com.",
    );
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new UsageError(
      `Invalid CORS origin ${JSON.stringify(origin)}: the scheme must be https or http.`,
      "Write it as scheme://host[:port], for example https://app.example.com.",
    );
  }
  return url;
}

/** Split a comma-separated list of origins, validate each, drop duplicates. */
export function parseCorsOrigins(raw: string): string[] {
  const items = raw
    .split(",")
    .map((item) => item.trim())
    .filter((item) => item !== "");
  return [...new Set(items.map(validateCorsOrigin))];
}
