import { closeSync, constants, fstatSync, lstatSync, openSync, readdirSync, readSync, realpathSync, statSync, type Dirent, type Stats } from "node:fs";
import path from "node:path";
import type { ProjectConfig } from "./config.js";
import { ExcludeMatcher } from "./glob.js";
import type { ScanError } from "./types.js";

/** Folder names never entered while walking (named paths are still scanned). */
export const DEFAULT_EXCLUDED_DIRS: readonly string[] = [
  ".git",
  ".hg",
  ".svn",
  "node_modules",
  ".venv",
  "venv",
  "__pycache__",
  "site-packages",
  "build",
  "dist",
  ".tox",
  ".nox",
  ".mypy_cache",
  ".pytest_cache",
  ".ruff_cache",
];

/** A Python file to scan. */
export interface ScanTarget {
  absolute: string;
  /** Path for reports: relative to the working folder with `/`, or absolute outside it. */
  display: string;
  /** True when the user named this file on the command line. */
  explicit: boolean;
  config: ProjectConfig | null;
}

export interface DiscoveryOptions {
  cwd: string;
  exclude: readonly string[];
  configFor: (dir: string) => Promise<ProjectConfig | null>;
}

/** Turn an absolute path into the form used in reports. */
export function displayPath(cwd: string, absolute: string): string {
  const relative = path.relative(cwd, absolute);
  if (relative === "") return ".";
  if (relative.startsWith("..") || path.isAbsolute(relative)) return absolute.split(path.sep).join("/");
  return relative.split(path.sep).join("/");
}

/**
 * Expand the paths to Python files. Folders are walked for `*.py` files,
 * skipping default and configured excludes. Symbolic links are followed, but
 * each real folder is entered at most once, so loops end. Problems become
 * entries in `errors`, and nothing here throws for a bad path.
 */
export async function discoverFiles(
  paths: readonly string[],
  options: DiscoveryOptions,
): Promise<{ targets: ScanTarget[]; errors: ScanError[] }> {
  const targets: ScanTarget[] = [];
  const errors: ScanError[] = [];
  const seenFiles = new Set<string>();
  const seenDirs = new Set<string>();
  const cliExcludes = new ExcludeMatcher(options.cwd, options.exclude);
  for (const given of paths) {
    const absolute = path.resolve(options.cwd, given);
    const display = displayPath(options.cwd, absolute);
    let info: Stats;
    try {
      info = statSync(absolute);
    } catch (error) {
      errors.push(pathError(absolute, display, error, true));
      continue;
    }
    const config = await options.configFor(info.isDirectory() ? absolute : path.dirname(absolute));
    const walker = new Walker(options.cwd, [cliExcludes, ...configMatchers(config)], config, seenFiles, seenDirs);
    if (info.isDirectory()) {
      walker.walk(absolute, targets, errors);
    } else if (info.isFile()) {
      walker.addFile(absolute, true, targets);
    } else {
      errors.push(notRegularError(display, info, true));
    }
  }
  return { targets, errors };
}

function configMatchers(config: ProjectConfig | null): ExcludeMatcher[] {
  return config ? [new ExcludeMatcher(config.dir, config.exclude)] : [];
}

class Walker {
  constructor(
    private readonly cwd: string,
    private readonly matchers: ExcludeMatcher[],
    private readonly config: ProjectConfig | null,
    private readonly seenFiles: Set<string>,
    private readonly seenDirs: Set<string>,
  ) {}

  walk(root: string, targets: ScanTarget[], errors: ScanError[]): void {
    const pending = [root];
    while (pending.length > 0) {
      const dir = pending.pop() as string;
      const real = realPath(dir);
      if (this.seenDirs.has(real)) continue;
      this.seenDirs.add(real);
      let entries: Dirent[];
      try {
        entries = readdirSync(dir, { withFileTypes: true });
      } catch (error) {
        errors.push(pathError(dir, displayPath(this.cwd, dir), error, dir === root));
        continue;
      }
      for (const entry of entries) {
        const child = path.join(dir, entry.name);
        let isDir = entry.isDirectory();
        let isFile = entry.isFile();
        let special: Dirent | Stats | null = isSpecial(entry) ? entry : null;
        const isLink = entry.isSymbolicLink();
        if (isLink) {
          try {
            const target = statSync(child);
            isDir = target.isDirectory();
            isFile = target.isFile();
            special = isSpecial(target) ? target : null;
          } catch (error) {
            if (entry.name.endsWith(".py")) errors.push(pathError(child, displayPath(this.cwd, child), error, false));
            continue;
          }
        }
        if (isDir && !DEFAULT_EXCLUDED_DIRS.includes(entry.name) && !this.excluded(child)) {
          pending.push(child);
        } else if (isFile && entry.name.endsWith(".py") && !this.excluded(child)) {
          // A file that is not a link has its folder's real path plus its own name.
          this.addFile(child, false, targets, isLink ? undefined : path.join(real, entry.name));
        } else if (special && entry.name.endsWith(".py") && !this.excluded(child)) {
          errors.push(notRegularError(displayPath(this.cwd, child), special, false));
        }
      }
    }
  }

  addFile(absolute: string, explicit: boolean, targets: ScanTarget[], real = realPath(absolute)): void {
    if (this.seenFiles.has(real)) return;
    this.seenFiles.add(real);
    targets.push({ absolute, display: displayPath(this.cwd, absolute), explicit, config: this.config });
  }

  private excluded(absolute: string): boolean {
    const absolutePath = absolute.split(path.sep).join("/");
    return this.matchers.some((matcher) =>
      matcher.matches(path.relative(matcher.baseDir, absolute).split(path.sep).join("/"), absolutePath),
    );
  }
}

function realPath(file: string): string {
  try {
    return realpathSync(file);
  } catch {
    return file;
  }
}

type FileKind = Pick<Stats, "isFIFO" | "isSocket" | "isCharacterDevice" | "isBlockDevice">;

function isSpecial(kind: FileKind): boolean {
  return kind.isFIFO() || kind.isSocket() || kind.isCharacterDevice() || kind.isBlockDevice();
}

function specialKindName(kind: FileKind): string {
  if (kind.isFIFO()) return "a named pipe (FIFO)";
  if (kind.isSocket()) return "a socket";
  if (kind.isCharacterDevice()) return "a character device";
  if (kind.isBlockDevice()) return "a block device";
  return "not a regular file";
}

/** Pipes, sockets and devices can block or never end, so they are never read. */
function notRegularError(display: string, kind: FileKind, explicit: boolean): ScanError {
  const what = specialKindName(kind);
  return { path: display, kind: "not-regular", message: `skipped: ${what}, not a regular file`, explicit };
}

/** True when `absolute` is a symbolic link itself, so an ENOENT for it means its target is missing. */
function isBrokenLink(absolute: string): boolean {
  try {
    return lstatSync(absolute).isSymbolicLink();
  } catch {
    return false;
  }
}

const ERRNO_REASONS: Record<string, string> = {
  ELOOP: "symbolic link loop",
  EACCES: "permission denied",
  EPERM: "permission denied",
  ENOTDIR: "a path component is not a folder",
};

/**
 * Describe a failed `stat`, `readdir` or read. A symbolic link whose target
 * does not exist fails with ENOENT too, but the link itself exists, so it is
 * `unreadable` (broken symbolic link) rather than `not-found`.
 */
function pathError(absolute: string, display: string, error: unknown, explicit: boolean): ScanError {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === "ENOENT" && isBrokenLink(absolute)) {
    return { path: display, kind: "unreadable", message: "cannot be read (broken symbolic link)", explicit };
  }
  if (code === "ENOENT") {
    return { path: display, kind: "not-found", message: "no such file or folder", explicit };
  }
  const reason = ERRNO_REASONS[code ?? ""] ?? code ?? String(error);
  return { path: display, kind: "unreadable", message: `cannot be read (${reason})`, explicit };
}

/** The text of a file, or why it cannot be scanned. */
export type ReadResult = { text: string } | { error: ScanError };

/**
 * Read a file as Python source: UTF-8 (a BOM is dropped), or the encoding of
 * a PEP 263 `coding:` comment. Files over `maxBytes`, files with NUL bytes
 * and undecodable files are returned as errors.
 */
export function readSource(target: ScanTarget, maxBytes: number): ReadResult {
  const fail = (kind: ScanError["kind"], message: string): ReadResult => ({
    error: { path: target.display, kind, message, explicit: target.explicit },
  });
  let bytes: Buffer;
  try {
    const read = readRegularFile(target.absolute, maxBytes);
    if ("notRegular" in read) return { error: notRegularError(target.display, read.notRegular, target.explicit) };
    if (read.bytes === null) {
      return fail("too-large", `skipped: over the ${maxBytes}-byte limit`);
    }
    bytes = read.bytes;
  } catch (error) {
    return { error: pathError(target.absolute, target.display, error, target.explicit) };
  }
  if (bytes.includes(0)) return fail("binary", "skipped: binary file (contains NUL bytes)");
  const text = decodeSource(bytes);
  if (text === null) return fail("encoding", "skipped: not valid UTF-8 and no supported `coding:` declaration");
  return { text };
}

const READ_CHUNK_BYTES = 64 * 1024;

/**
 * Read at most `maxBytes` bytes of a regular file; `bytes` is null when the
 * file holds more. The size is counted from the bytes read, not from
 * `st_size`, which can be stale or 0 (as for files in /proc). `O_NONBLOCK`
 * keeps the open from waiting for a writer if the path was swapped for a FIFO
 * after discovery, and the `fstat` check then rejects it.
 */
function readRegularFile(file: string, maxBytes: number): { bytes: Buffer | null } | { notRegular: Stats } {
  const fd = openSync(file, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  try {
    const info = fstatSync(fd);
    if (!info.isFile()) return { notRegular: info };
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.alloc(Math.min(READ_CHUNK_BYTES, maxBytes + 1 - total));
      const count = readSync(fd, chunk, 0, chunk.length, null);
      if (count === 0) break;
      chunks.push(chunk.subarray(0, count));
      total += count;
      if (total > maxBytes) return { bytes: null };
    }
    return { bytes: Buffer.concat(chunks, total) };
  } finally {
    closeSync(fd);
  }
}

/** Without the `stream` option each `decode` call starts afresh, so one decoder serves every file. */
const UTF8_DECODER = new TextDecoder("utf-8", { fatal: true });

const CODING_COOKIE = /^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)/;

function decodeSource(bytes: Buffer): string | null {
  try {
    return UTF8_DECODER.decode(bytes);
  } catch {
    // Fall through to a declared encoding.
  }
  const head = bytes.subarray(0, 512).toString("latin1").split("\n").slice(0, 2);
  for (const line of head) {
    const label = CODING_COOKIE.exec(line)?.[1];
    if (!label) continue;
    try {
      return new TextDecoder(webEncodingLabel(label), { fatal: true }).decode(bytes);
    } catch {
      return null;
    }
  }
  return null;
}

/** Map a Python codec name (`latin-1`, `cp1252`, `utf_8`) to a WHATWG encoding label. */
function webEncodingLabel(pythonName: string): string {
  const name = pythonName.toLowerCase().replace(/_/g, "-");
  if (/^(latin-?1|iso-?8859-1|l1)$/.test(name)) return "latin1";
  if (/^utf-?8(-sig)?$/.test(name)) return "utf-8";
  const codePage = /^(cp|windows-)(\d+)$/.exec(name);
  if (codePage) return `windows-${codePage[2]}`;
  return name;
}
