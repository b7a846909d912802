import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import { fileURLToPath } from "node:url";

export const FIXTURES = fileURLToPath(new URL("../fixtures/scanner/", import.meta.url));

/** Every fixture file as `RULE/kind/name.py`, where kind is `bad` or `good`. */
export function fixtureFiles(): { rule: string; kind: "bad" | "good"; file: string }[] {
  const files: { rule: string; kind: "bad" | "good"; file: string }[] = [];
  for (const rule of readdirSync(FIXTURES).sort()) {
    for (const kind of ["bad", "good"] as const) {
      const dir = path.join(FIXTURES, rule, kind);
      let names: string[] = [];
      try {
        names = readdirSync(dir).filter((name) => name.endsWith(".py"));
      } catch {
        continue;
      }
      for (const name of names.sort()) files.push({ rule, kind, file: path.join(rule, kind, name) });
    }
  }
  return files;
}

/**
 * The findings a fixture expects, from trailing `# expect: SFA006, SFA015`
 * markers, as sorted `line:RULE` strings (a rule listed twice is expected twice).
 */
export function expectedFindings(absolute: string): string[] {
  const expected: string[] = [];
  readFileSync(absolute, "utf8")
    .split("\n")
    .forEach((text, index) => {
      const marker = /#\s*expect:\s*([A-Z0-9,\s]+)$/.exec(text);
      if (!marker) return;
      for (const id of (marker[1] ?? "").split(",").map((part) => part.trim())) {
        if (id) expected.push(`${index + 1}:${id}`);
      }
    });
  return expected.sort();
}

/** A writable stream that keeps what is written, for checking command output. */
export class MemoryStream extends Writable {
  text = "";

  override _write(chunk: Buffer | string, _encoding: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

/** Create a temporary folder with the given files (paths relative to it). */
export function makeProject(files: Record<string, string | Buffer>): string {
  const root = mkdtempSync(path.join(tmpdir(), "sfa-scan-"));
  for (const [relative, content] of Object.entries(files)) {
    const target = path.join(root, relative);
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(target, content);
  }
  return root;
}

export const INSECURE_SQL = `def find(db, email):\n    return db.execute(f"SELECT * FROM users WHERE email = '{email}'")\n`;
export const SAFE_CODE = `def add(a: int, b: int) -> int:\n    return a + b\n`;
