/**
 * Escapers for values placed into generated files. Handlebars escapes for
 * HTML, which is wrong for every language we emit, so templates compile with
 * `noEscape` and each interpolation names the escaper for its file's syntax.
 */

const SIMPLE_ESCAPES: Record<string, string> = {
  '"': '\\"',
  "\\": "\\\\",
  "\n": "\\n",
  "\r": "\\r",
  "\t": "\\t",
  "\b": "\\b",
  "\f": "\\f",
};

function hex(codePoint: number, width: number): string {
  return codePoint.toString(16).toUpperCase().padStart(width, "0");
}

function rejectLoneSurrogates(value: string): void {
  if (!value.isWellFormed()) {
    throw new Error(`Cannot escape ${JSON.stringify(value)}: it contains a lone UTF-16 surrogate.`);
  }
}

/**
 * Quote a string as an ASCII-only double-quoted literal that Python, TOML and
 * YAML all read back as the same text: `\uXXXX` for other BMP characters and
 * `\UXXXXXXXX` above it, which all three languages accept.
 */
export function quoteString(value: string): string {
  rejectLoneSurrogates(value);
  let quoted = '"';
  for (const char of value) {
    const codePoint = char.codePointAt(0) ?? 0;
    const simple = SIMPLE_ESCAPES[char];
    if (simple !== undefined) {
      quoted += simple;
    } else if (codePoint >= 0x20 && codePoint < 0x7f) {
      quoted += char;
    } else if (codePoint <= 0xffff) {
      quoted += `\\u${hex(codePoint, 4)}`;
    } else {
      quoted += `\\U${hex(codePoint, 8)}`;
    }
  }
  return `${quoted}"`;
}

/**
 * Quote a value for a `.env` file as python-dotenv reads it: inside single
 * quotes only `\\` and `\'` are escapes. python-dotenv 1.2 expands `${VAR}`
 * even inside single quotes and offers no escape for it, so such values are
 * rejected rather than silently changed.
 */
export function quoteEnvValue(value: string): string {
  if (/[\0-\x1f\x7f]/.test(value)) {
    throw new Error(`Cannot write ${JSON.stringify(value)} to .env: it contains a control character.`);
  }
  if (value.includes("${")) {
    throw new Error(`Cannot write ${JSON.stringify(value)} to .env: python-dotenv would expand "\${".`);
  }
  return `'${value.replace(/[\\']/g, (char) => `\\${char}`)}'`;
}

/**
 * Escape text for inline Markdown so that it renders literally, on one line.
 * Characters that matter only at the start of a line ("-", "+", "1.") are
 * left alone, because values are never placed there.
 */
export function escapeMarkdown(value: string): string {
  return value
    .replace(/[\r\n]+/g, " ")
    .replace(/[\\`*_{}[\]#!|~>]/g, (char) => `\\${char}`)
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;");
}

/** Quote a value as a JSON string (also valid in JSON-encoded settings). */
export function quoteJson(value: unknown): string {
  return JSON.stringify(value);
}

const IDENTIFIER = /^[a-z][a-z0-9-]*$/;

/**
 * Pass through a value that must already be a plain lowercase name (letters,
 * digits and "-"), for places with no escape syntax such as shell commands
 * and image tags. Anything else is a bug upstream, so it throws.
 */
export function requireIdentifier(value: string): string {
  if (!IDENTIFIER.test(value)) {
    throw new Error(`Expected a lowercase name, got ${JSON.stringify(value)}.`);
  }
  return value;
}
