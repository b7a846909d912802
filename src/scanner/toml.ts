/**
 * A small TOML reader that returns one table of a document. It understands
 * the whole TOML syntax well enough to skip other tables (strings of all four
 * kinds, arrays, inline tables, dotted and quoted keys) but keeps only
 * strings, booleans, numbers and arrays of them; dates are kept as text.
 */
export type TomlValue = string | number | boolean | TomlValue[] | { [key: string]: TomlValue };

export class TomlError extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(`${message} at line ${line}`);
  }
}

/** The key/value pairs of the table at `path` (e.g. ["tool", "secure-fastapi"]), or null if absent. */
export function readTomlTable(text: string, path: readonly string[]): Record<string, TomlValue> | null {
  const reader = new TomlReader(text);
  return reader.readTable(path.join("\u0000"));
}

class TomlReader {
  private index = 0;

  constructor(private readonly text: string) {}

  readTable(wanted: string): Record<string, TomlValue> | null {
    let current = "";
    let result: Record<string, TomlValue> | null = null;
    for (;;) {
      this.skipBlank(true);
      if (this.index >= this.text.length) return result;
      if (this.text[this.index] === "[") {
        current = this.readHeader();
        if (current === wanted) result ??= {};
        continue;
      }
      const key = this.readKey();
      this.skipBlank(false);
      this.expect("=");
      this.skipBlank(false);
      const value = this.readValue();
      if (current === wanted && result) result[key.join(".")] = value;
      this.endOfLine();
    }
  }

  private readHeader(): string {
    const arrayTable = this.text.startsWith("[[", this.index);
    this.index += arrayTable ? 2 : 1;
    this.skipBlank(false);
    const key = this.readKey();
    this.skipBlank(false);
    this.expect(arrayTable ? "]]" : "]");
    this.endOfLine();
    return arrayTable ? `\u0001${key.join("\u0000")}` : key.join("\u0000");
  }

  private readKey(): string[] {
    const parts: string[] = [];
    for (;;) {
      this.skipBlank(false);
      const char = this.text[this.index];
      if (char === '"' || char === "'") {
        parts.push(this.readString());
      } else {
        const match = /^[A-Za-z0-9_-]+/.exec(this.text.slice(this.index, this.index + 256));
        if (!match) throw this.error("expected a key");
        parts.push(match[0]);
        this.index += match[0].length;
      }
      this.skipBlank(false);
      if (this.text[this.index] !== ".") return parts;
      this.index++;
    }
  }

  private readValue(): TomlValue {
    const char = this.text[this.index];
    if (char === '"' || char === "'") return this.readString();
    if (char === "[") return this.readArray();
    if (char === "{") return this.readInlineTable();
    const match = /^[^\s,\]}#]+/.exec(this.text.slice(this.index, this.index + 256));
    if (!match) throw this.error("expected a value");
    this.index += match[0].length;
    const raw = match[0];
    if (raw === "true") return true;
    if (raw === "false") return false;
    const number = Number(raw.replace(/_/g, ""));
    return Number.isNaN(number) ? raw : number;
  }

  private readArray(): TomlValue[] {
    this.index++;
    const values: TomlValue[] = [];
    for (;;) {
      this.skipBlank(true);
      if (this.text[this.index] === "]") {
        this.index++;
        return values;
      }
      values.push(this.readValue());
      this.skipBlank(true);
      if (this.text[this.index] === ",") this.index++;
      else if (this.text[this.index] !== "]") throw this.error("expected `,` or `]` in array");
    }
  }

  private readInlineTable(): Record<string, TomlValue> {
    this.index++;
    const table: Record<string, TomlValue> = {};
    for (;;) {
      this.skipBlank(false);
      if (this.text[this.index] === "}") {
        this.index++;
        return table;
      }
      const key = this.readKey();
      this.skipBlank(false);
      this.expect("=");
      this.skipBlank(false);
      table[key.join(".")] = this.readValue();
      this.skipBlank(false);
      if (this.text[this.index] === ",") this.index++;
      else if (this.text[this.index] !== "}") throw this.error("expected `,` or `}` in inline table");
    }
  }

  private readString(): string {
    const quote = this.text[this.index] as string;
    const triple = this.text.startsWith(quote.repeat(3), this.index);
    const delimiter = triple ? quote.repeat(3) : quote;
    this.index += delimiter.length;
    if (triple && this.text[this.index] === "\n") this.index++;
    let value = "";
    for (;;) {
      if (this.index >= this.text.length) throw this.error("unterminated string");
      if (this.text.startsWith(delimiter, this.index)) {
        this.index += delimiter.length;
        return value;
      }
      const char = this.text[this.index] as string;
      if (!triple && char === "\n") throw this.error("newline in string");
      if (char === "\\" && quote === '"') {
        value += this.readEscape();
      } else {
        value += char;
        this.index++;
      }
    }
  }

  private readEscape(): string {
    const next = this.text[this.index + 1] ?? "";
    const simple: Record<string, string> = { b: "\b", t: "\t", n: "\n", f: "\f", r: "\r", '"': '"', "\\": "\\" };
    if (next in simple) {
      this.index += 2;
      return simple[next] as string;
    }
    if (next === "u" || next === "U") {
      const length = next === "u" ? 4 : 8;
      const hex = this.text.slice(this.index + 2, this.index + 2 + length);
      this.index += 2 + length;
      return String.fromCodePoint(Number.parseInt(hex, 16));
    }
    if (/\s/.test(next)) {
      // A line-ending backslash trims the line break and following whitespace.
      this.index++;
      while (/\s/.test(this.text[this.index] ?? "")) this.index++;
      return "";
    }
    throw this.error(`invalid escape \\${next}`);
  }

  private skipBlank(newlines: boolean): void {
    for (;;) {
      const char = this.text[this.index];
      if (char === " " || char === "\t" || char === "\r" || (newlines && char === "\n")) {
        this.index++;
      } else if (char === "#") {
        while (this.index < this.text.length && this.text[this.index] !== "\n") this.index++;
      } else {
        return;
      }
    }
  }

  private endOfLine(): void {
    this.skipBlank(false);
    if (this.index < this.text.length && this.text[this.index] !== "\n") {
      throw this.error("expected the end of the line");
    }
  }

  private expect(token: string): void {
    if (!this.text.startsWith(token, this.index)) throw this.error(`expected \`${token}\``);
    this.index += token.length;
  }

  private error(message: string): TomlError {
    const line = this.text.slice(0, this.index).split("\n").length;
    return new TomlError(message, line);
  }
}
