import { randomBytes } from "node:crypto";
import { lstat, mkdir, realpath, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { CliError } from "../errors.js";
import type { PlannedFile } from "../generator/render.js";
import { resolveInside } from "../generator/write.js";

const NEW_FILE_MODE = 0o644;
/** Mode of new files that hold secrets, such as a new .env. */
const PRIVATE_FILE_MODE = 0o600;

async function existingMode(file: string): Promise<number | null> {
  try {
    const stats = await lstat(file);
    if (!stats.isFile()) {
      throw new CliError(`Cannot write ${file}: it is a link, folder or special file.`, {
        hint: "Replace it with a regular file, or move it aside; nothing was written.",
      });
    }
    return stats.mode & 0o777;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw error;
  }
}

/** Create the parent folder and check that, with links resolved, it is still inside the project. */
async function prepareParent(realRoot: string, destination: string): Promise<void> {
  const parent = path.dirname(destination);
  await mkdir(parent, { recursive: true });
  const realParent = await realpath(parent);
  const fromRoot = path.relative(realRoot, realParent);
  if (fromRoot.startsWith("..") || path.isAbsolute(fromRoot)) {
    throw new CliError(`Refusing to write ${destination}: its folder links to ${realParent}, outside the project.`);
  }
}

/**
 * Write files into an existing project so that each file is either wholly
 * old or wholly new: every file is first written to a temporary name beside
 * it, and only when all are written are they renamed into place. Existing
 * files keep their permissions; new ones named in `privateFiles` are
 * readable by their owner only. Paths that leave the project, directly or
 * through a symbolic link, are rejected before anything is written.
 */
export async function writeFilesAtomically(
  root: string,
  files: readonly PlannedFile[],
  options: { privateFiles?: ReadonlySet<string> } = {},
): Promise<void> {
  const realRoot = await realpath(root);
  const staged: { temporary: string; destination: string }[] = [];
  try {
    for (const file of files) {
      const destination = resolveInside(root, file.path);
      const mode =
        (await existingMode(destination)) ?? (options.privateFiles?.has(file.path) ? PRIVATE_FILE_MODE : NEW_FILE_MODE);
      await prepareParent(realRoot, destination);
      const temporary = path.join(
        path.dirname(destination),
        `.${path.basename(destination)}.secure-fastapi-${randomBytes(6).toString("hex")}`,
      );
      await writeFile(temporary, file.content, { mode, flag: "wx" });
      staged.push({ temporary, destination });
    }
    while (staged.length > 0) {
      const item = staged[0] as (typeof staged)[number];
      await rename(item.temporary, item.destination);
      staged.shift();
    }
  } finally {
    await Promise.all(staged.map((item) => rm(item.temporary, { force: true })));
  }
}
