import { execa } from "execa";
import { mkdtemp, readFile, rm, unlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runAddCommand } from "../../src/add/command.js";
import { readPackageManifest } from "../../src/paths.js";
import { loadCatalog } from "../../src/snippets/catalog.js";
import { runSnippetsCommand } from "../../src/snippets/command.js";
import { parseState, STATE_FILE } from "../../src/snippets/state.js";
import { commitAll, copyCatalog, generateProject, gitStatus, publishSnippetChange, runInProcess } from "./helpers.js";

const MIDDLEWARE = "app/core/middleware.py";
const OLD_HSTS = 'HSTS_VALUE = "max-age=31536000; includeSubDomains"';
const NEW_HSTS = 'HSTS_VALUE = "max-age=63072000; includeSubDomains; preload"';
const OLD_CSP_COMMENT = "# The API serves only JSON and downloads, so no page may load anything.";
const NEW_CSP_COMMENT = "# Our API serves JSON only.";

let workspace: string;
let catalog: string;
let root: string;

beforeEach(async () => {
  workspace = await mkdtemp(path.join(tmpdir(), "csf-update-"));
  root = await generateProject(workspace, "demo");
  await commitAll(root);
  catalog = await copyCatalog(path.join(workspace, "catalog"));
  await publishSnippetChange(catalog, "middleware", OLD_HSTS, NEW_HSTS);
});

afterEach(async () => {
  await rm(workspace, { recursive: true, force: true });
});

function snippets(argv: string[], options: { snippetsRoot?: string } = { snippetsRoot: catalog }) {
  return runInProcess((io) => runSnippetsCommand(argv, io, { cwd: root, ...options }));
}

async function read(relative: string): Promise<string> {
  return readFile(path.join(root, relative), "utf8");
}

async function editAndCommit(relative: string, from: string, to: string): Promise<void> {
  const text = await read(relative);
  expect(text).toContain(from);
  await writeFile(path.join(root, relative), text.replace(from, to));
  await execa("git", ["-c", "user.name=Test", "-c", "user.email=test@example.com", "commit", "-qam", "Edit"], {
    cwd: root,
  });
}

async function readProjectState() {
  return parseState(await read(STATE_FILE), STATE_FILE);
}

describe("snippets update", () => {
  it("replaces an unedited file", async () => {
    const result = await snippets(["update"]);
    expect(result.stderr).toBe("");
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(/replaced\s+app\/core\/middleware\.py\s+middleware v1 → v2/);
    const text = await read(MIDDLEWARE);
    expect(text).toContain(NEW_HSTS);
    expect(text.split("\n")[0]).toBe(
      "# secure-fastapi snippet: middleware v2 (secure-fastapi snippets diff middleware)",
    );
    const entry = (await readProjectState()).files.find((file) => file.path === MIDDLEWARE);
    expect(entry?.version).toBe(2);
    expect(entry?.base).toBe(text);
  });

  it("leaves up-to-date snippets alone", async () => {
    const before = await read("app/core/config.py");
    await snippets(["update"]);
    expect(await read("app/core/config.py")).toBe(before);
    expect(await gitStatus(root)).toBe(` M ${STATE_FILE}\n M ${MIDDLEWARE}`);
  });

  it("reports nothing to do without a newer version", async () => {
    const result = await snippets(["update"], {});
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain("Nothing to update");
    expect(await gitStatus(root)).toBe("");
  });

  it("merges non-overlapping edits", async () => {
    await editAndCommit(MIDDLEWARE, OLD_CSP_COMMENT, NEW_CSP_COMMENT);
    const result = await snippets(["update"]);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(/merged\s+app\/core\/middleware\.py/);
    const text = await read(MIDDLEWARE);
    expect(text).toContain(NEW_CSP_COMMENT);
    expect(text).toContain(NEW_HSTS);
    expect(text).not.toContain("<<<<<<<");
    const entry = (await readProjectState()).files.find((file) => file.path === MIDDLEWARE);
    expect(entry?.version).toBe(2);
    expect(entry?.base).not.toContain(NEW_CSP_COMMENT);
  });

  it("marks overlapping edits as conflicts", async () => {
    const mine = 'HSTS_VALUE = "max-age=600"';
    await editAndCommit(MIDDLEWARE, OLD_HSTS, mine);
    const result = await snippets(["update"]);
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toMatch(/conflict\s+app\/core\/middleware\.py\s+middleware v1 → v2 \(1 conflict\)/);
    expect(result.stderr).toContain(
      `${MIDDLEWARE}: 1 block(s) between "<<<<<<< yours" and ">>>>>>> secure-fastapi v2"`,
    );
    const text = await read(MIDDLEWARE);
    expect(text).toContain(`<<<<<<< yours\n${mine}\n=======\n${NEW_HSTS}\n>>>>>>> secure-fastapi v2\n`);
    expect(text).not.toContain("|||||||");
  });

  it("stops while conflict markers remain", async () => {
    await editAndCommit(MIDDLEWARE, OLD_HSTS, 'HSTS_VALUE = "max-age=600"');
    await snippets(["update"]);
    await execa("git", ["-c", "user.name=Test", "-c", "user.email=test@example.com", "commit", "-qam", "Update"], {
      cwd: root,
    });
    const again = await snippets(["update"]);
    expect(again.exitCode).toBe(1);
    expect(again.stderr).toContain("still has conflict markers");
  });

  it("ignores a diff3 conflict style", async () => {
    const config = path.join(workspace, "gitconfig");
    await writeFile(config, "[merge]\n\tconflictStyle = diff3\n");
    await editAndCommit(MIDDLEWARE, OLD_HSTS, 'HSTS_VALUE = "max-age=600"');
    process.env.GIT_CONFIG_GLOBAL = config;
    try {
      await snippets(["update"]);
    } finally {
      delete process.env.GIT_CONFIG_GLOBAL;
    }
    expect(await read(MIDDLEWARE)).not.toContain("|||||||");
  });

  it("rejects uncommitted changes", async () => {
    const edited = (await read(MIDDLEWARE)).replace(OLD_CSP_COMMENT, NEW_CSP_COMMENT);
    await writeFile(path.join(root, MIDDLEWARE), edited);
    const stateBefore = await read(STATE_FILE);
    const result = await snippets(["update"]);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(`Uncommitted changes in ${MIDDLEWARE}; nothing was written.`);
    expect(result.stderr).toContain("--allow-dirty");
    expect(await read(MIDDLEWARE)).toBe(edited);
    expect(await read(STATE_FILE)).toBe(stateBefore);
  });

  it("ignores changes to other files", async () => {
    await writeFile(path.join(root, "app/main.py"), "# edited\n");
    const result = await snippets(["update"]);
    expect(result.exitCode).toBe(0);
  });

  it("writes over uncommitted changes with --allow-dirty", async () => {
    const edited = (await read(MIDDLEWARE)).replace(OLD_CSP_COMMENT, NEW_CSP_COMMENT);
    await writeFile(path.join(root, MIDDLEWARE), edited);
    const result = await snippets(["update", "--allow-dirty"]);
    expect(result.exitCode).toBe(0);
    const text = await read(MIDDLEWARE);
    expect(text).toContain(NEW_CSP_COMMENT);
    expect(text).toContain(NEW_HSTS);
  });

  it("rejects a project outside git", async () => {
    await rm(path.join(root, ".git"), { recursive: true, force: true });
    const rejected = await snippets(["update"]);
    expect(rejected.exitCode).toBe(1);
    expect(rejected.stderr).toContain("is not inside a git repository");
    expect(await read(MIDDLEWARE)).toContain(OLD_HSTS);
    const allowed = await snippets(["update", "--allow-dirty"]);
    expect(allowed.exitCode).toBe(0);
    expect(await read(MIDDLEWARE)).toContain(NEW_HSTS);
  });

  it("shows the diff on --dry-run and writes nothing", async () => {
    const result = await snippets(["update", "--dry-run"]);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain(`--- a/${MIDDLEWARE}\n+++ b/${MIDDLEWARE}\n`);
    expect(result.stdout).toContain(`-${OLD_HSTS}\n+${NEW_HSTS}\n`);
    expect(result.stdout).toContain("Dry run; nothing was written.");
    expect(await gitStatus(root)).toBe("");
  });

  it("dry run exits 1 on conflicts", async () => {
    await editAndCommit(MIDDLEWARE, OLD_HSTS, 'HSTS_VALUE = "max-age=600"');
    const result = await snippets(["update", "--dry-run"]);
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toContain("+<<<<<<< yours");
    expect(result.stderr).toContain("The update would leave conflicts");
    expect(await gitStatus(root)).toBe("");
  });

  it("updates only the named snippets", async () => {
    await publishSnippetChange(
      catalog,
      "errors",
      "logger = logging.getLogger(__name__)",
      "logger = logging.getLogger(__name__)  # v2",
    );
    const result = await snippets(["update", "errors"]);
    expect(result.exitCode).toBe(0);
    expect(await read("app/core/errors.py")).toContain("# v2");
    expect(await read(MIDDLEWARE)).toContain(OLD_HSTS);
  });

  it("rejects an unknown snippet id", async () => {
    const result = await snippets(["update", "nonsense"]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('Unknown snippet "nonsense"');
  });

  it("rejects a snippet the project lacks", async () => {
    const bare = await generateProject(workspace, "bare", { auth: "none" });
    const result = await runInProcess((io) => runSnippetsCommand(["update", "security"], io, { cwd: bare }));
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('This project has no file from snippet "security"');
  });

  it("stops when a managed file is missing", async () => {
    await unlink(path.join(root, MIDDLEWARE));
    const result = await snippets(["update"]);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(`${MIDDLEWARE}: the file is missing`);
    expect(await gitStatus(root)).toBe(` D ${MIDDLEWARE}`);
  });
});

describe("state file problems", () => {
  it("reports a missing state file and writes nothing", async () => {
    await unlink(path.join(root, STATE_FILE));
    await commitAll(root, "Remove state");
    const result = await snippets(["update"]);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(`No ${STATE_FILE} in ${root}`);
    expect(result.stderr).toContain(
      "Run the command in the root folder of a project generated by create-secure-fastapi",
    );
    expect(await gitStatus(root)).toBe("");
  });

  it.each([
    ["not JSON", "{ nope", /not valid JSON/],
    ["a list", "[]", /must contain a JSON object/],
    ["a newer format", JSON.stringify({ format: 99 }), /has format 99, which this version does not read/],
  ])("reports a state file that is %s and writes nothing", async (_label, text, message) => {
    await writeFile(path.join(root, STATE_FILE), text);
    await commitAll(root, "Break state");
    const result = await snippets(["update"]);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).toContain(path.join(root, STATE_FILE));
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(await gitStatus(root)).toBe("");
  });
});

describe("snippets diff", () => {
  it("shows upstream changes and local edits", async () => {
    await editAndCommit(MIDDLEWARE, OLD_CSP_COMMENT, NEW_CSP_COMMENT);
    const result = await snippets(["diff", "middleware"]);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain("middleware (app/core/middleware.py): v1 → v2");
    expect(result.stdout).toContain(`-${OLD_HSTS}\n+${NEW_HSTS}\n`);
    expect(result.stdout).toContain("Your edits since middleware v1:");
    expect(result.stdout).toContain(`-${OLD_CSP_COMMENT}\n+${NEW_CSP_COMMENT}\n`);
  });

  it("says when a snippet is up to date", async () => {
    const result = await snippets(["diff", "settings"]);
    expect(result.stdout).toBe("settings (app/core/config.py): v1, up to date\n");
  });
});

describe("snippets list", () => {
  it("shows each snippet's state in the project", async () => {
    await editAndCommit("app/core/errors.py", "import logging", "import logging  # edited");
    const result = await snippets(["list"]);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(/middleware\s+v2\s+app\/core\/middleware\.py\s+v1, v2 available/);
    expect(result.stdout).toMatch(/errors\s+v1\s+app\/core\/errors\.py\s+v1, edited, up to date/);
    expect(result.stdout).toMatch(/settings\s+v1\s+app\/core\/config\.py\s+v1, up to date/);
  });

  it("lists the catalog outside a project", async () => {
    const result = await runInProcess((io) => runSnippetsCommand(["list"], io, { cwd: workspace }));
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(/settings\s+v1\s+app\/core\/config\.py\s+Settings with secret and CORS validation/);
    expect(result.stdout).toContain(`No ${STATE_FILE} in ${workspace}`);
  });
});

describe("snippets show", () => {
  it("prints the code rendered for the project", async () => {
    const result = await snippets(["show", "settings"], {});
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe(await read("app/core/config.py"));
  });

  it("rejects a missing id", async () => {
    const result = await snippets(["show"], {});
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain("snippets show takes exactly one snippet id");
  });
});

describe("a state from a newer release", () => {
  let installed: number;

  beforeEach(async () => {
    installed = (await loadCatalog()).find((snippet) => snippet.id === "middleware")?.version ?? 0;
    const update = await snippets(["update"]);
    expect(update.exitCode, update.stderr).toBe(0);
    await commitAll(root, "Update middleware with a newer release");
  });

  async function setGeneratorVersion(project: string, version: string): Promise<void> {
    const file = path.join(project, STATE_FILE);
    const state = JSON.parse(await readFile(file, "utf8")) as { generator: { version: string } };
    state.generator.version = version;
    await writeFile(file, `${JSON.stringify(state, null, 2)}\n`);
    await commitAll(project, "Record a newer generator");
  }

  it.each([[["update"]], [["update", "--dry-run"]], [["diff"]], [["diff", "middleware"]]])(
    "rejects %j with exit code 2",
    async (argv) => {
      const result = await snippets(argv, {});
      expect(result.exitCode).toBe(2);
      expect(result.stdout).toBe("");
      expect(result.stderr).toContain(
        `snippet middleware v${installed + 1} in ${MIDDLEWARE} (this release has v${installed})`,
      );
      expect(result.stderr).toContain(
        `Upgrade create-secure-fastapi to a release that has middleware v${installed + 1}; nothing was written.`,
      );
      expect(await gitStatus(root)).toBe("");
    },
  );

  it("names the generator version to upgrade to", async () => {
    await setGeneratorVersion(root, "9.0.0");
    const result = await snippets(["update"], {});
    expect(result.exitCode).toBe(2);
    const { version } = readPackageManifest();
    expect(result.stderr).toContain(
      `was last written by create-secure-fastapi 9.0.0, which is newer than this release, ${version}.`,
    );
    expect(result.stderr).toContain(`It records snippet middleware v${installed + 1}`);
    expect(result.stderr).toContain("Upgrade create-secure-fastapi to at least 9.0.0; nothing was written.");
    expect(await gitStatus(root)).toBe("");
  });

  it("rejects a newer generator version alone", async () => {
    const later = await generateProject(workspace, "later");
    await commitAll(later);
    await setGeneratorVersion(later, "0.10.0-beta.1");
    const result = await runInProcess((io) => runSnippetsCommand(["update"], io, { cwd: later }));
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain("last written by create-secure-fastapi 0.10.0-beta.1");
    expect(result.stderr).not.toContain("records snippet");
    expect(result.stderr).toContain("Upgrade create-secure-fastapi to at least 0.10.0-beta.1");
    expect(await gitStatus(later)).toBe("");
  });

  it("rejects add", async () => {
    const result = await runInProcess((io) =>
      runAddCommand(["rate-limit", "--yes"], { ...io, interactive: false }, { cwd: root }),
    );
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain(`snippet middleware v${installed + 1} in ${MIDDLEWARE}`);
    expect(await gitStatus(root)).toBe("");
  });

  it("shows the snippet as newer in list", async () => {
    const result = await snippets(["list"], {});
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(
      new RegExp(
        `middleware\\s+v${installed}\\s+app/core/middleware\\.py\\s+v${installed + 1}, newer than this release`,
      ),
    );
    expect(result.stdout).not.toContain("available");
  });

  it("names the newer generator in list", async () => {
    await setGeneratorVersion(root, "9.0.0");
    const result = await snippets(["list"], {});
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain("upgrade to at least 9.0.0 before snippets diff, snippets update or add");
  });
});
