import { readFileSync } from "node:fs";

let cached: string | null = null;

/** The package version from package.json (two folders above both src/scanner and dist/scanner). */
export function toolVersion(): string {
  if (cached === null) {
    const manifest = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
      version?: string;
    };
    cached = manifest.version ?? "0.0.0";
  }
  return cached;
}

export const TOOL_NAME = "secure-fastapi";
export const TOOL_URI = "https://www.npmjs.com/package/create-secure-fastapi";
