import path from "node:path";

/**
 * Convert a glob to a regular expression over `/`-separated relative paths:
 * `*` and `?` stay within one segment, `**` spans segments, `[abc]` and
 * `[!abc]` are character classes.
 */
export function globToRegExp(pattern: string): RegExp {
  let source = "";
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i] as string;
    if (char === "*") {
      if (pattern[i + 1] === "*") {
        const slashAfter = pattern[i + 2] === "/";
        source += slashAfter ? "(?:.*/)?" : ".*";
        i += slashAfter ? 2 : 1;
      } else {
        source += "[^/]*";
      }
    } else if (char === "?") {
      source += "[^/]";
    } else if (char === "[") {
      const close = pattern.indexOf("]", i + 2);
      if (close === -1) {
        source += "\\[";
      } else {
        const body = pattern.slice(i + 1, close).replace(/^!/, "^").replace(/\\/g, "\\\\");
        source += `[${body}]`;
        i = close;
      }
    } else {
      source += char.replace(/[.+^${}()|\\]/g, "\\$&");
    }
  }
  return new RegExp(`^${source}$`);
}

/** A set of exclude globs, interpreted relative to one folder. */
export class ExcludeMatcher {
  private readonly anchored: RegExp[] = [];
  private readonly segment: RegExp[] = [];
  private readonly absolute: RegExp[] = [];

  /**
   * A pattern without `/` (other than a trailing one) matches a file or
   * folder name at any depth, as in `.gitignore`; a pattern with `/` matches
   * the path from `baseDir`. An absolute pattern (`/home/me/app/tests`) also
   * matches the absolute path, so that both readings of a leading `/` work.
   */
  constructor(
    readonly baseDir: string,
    patterns: readonly string[],
  ) {
    for (const raw of patterns) {
      const pattern = raw.trim().replace(/^\.\//, "").replace(/\/+$/, "");
      if (pattern === "") continue;
      if (path.isAbsolute(pattern)) this.absolute.push(globToRegExp(pattern.split(path.sep).join("/")));
      if (pattern.includes("/")) this.anchored.push(globToRegExp(pattern.replace(/^\//, "")));
      else this.segment.push(globToRegExp(pattern));
    }
  }

  /**
   * True when a file or folder is excluded, given its `/`-separated path
   * relative to `baseDir` and, for absolute patterns, its absolute path with
   * `/` separators.
   */
  matches(relativePath: string, absolutePath?: string): boolean {
    if (absolutePath !== undefined && this.absolute.some((regex) => regex.test(absolutePath))) return true;
    if (relativePath === "" || relativePath.startsWith("../")) return false;
    if (this.anchored.some((regex) => regex.test(relativePath))) return true;
    const name = relativePath.slice(relativePath.lastIndexOf("/") + 1);
    return this.segment.some((regex) => regex.test(name));
  }
}
