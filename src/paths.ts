import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** Root of the installed package: the folder that holds package.json. */
export const PACKAGE_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

export const TEMPLATES_ROOT = path.join(PACKAGE_ROOT, "templates");

export const SNIPPETS_ROOT = path.join(PACKAGE_ROOT, "snippets");

interface PackageManifest {
  name: string;
  version: string;
}

export function readPackageManifest(): PackageManifest {
  const text = readFileSync(path.join(PACKAGE_ROOT, "package.json"), "utf8");
  return JSON.parse(text) as PackageManifest;
}
