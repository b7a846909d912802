import { execa } from "execa";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { BIN } from "../helpers/cli.js";

/**
 * Drive the interactive prompts in a real terminal (tmux), typing keys as a
 * user would, and read the exit code the shell saw.
 */
let workspace: string;
let session: string;

beforeEach(async () => {
  workspace = await mkdtemp(path.join(tmpdir(), "csf-prompt-"));
  session = `csf-${process.pid}-${Date.now()}`;
  const command = `env -u CI node ${BIN} --no-git; echo "exit=$?" > ${workspace}/.exit`;
  await execa("tmux", ["new-session", "-d", "-s", session, "-x", "120", "-y", "40", "-c", workspace, command]);
});

afterEach(async () => {
  await execa("tmux", ["kill-session", "-t", session], { reject: false });
  await rm(workspace, { recursive: true, force: true });
});

async function screen(): Promise<string> {
  const result = await execa("tmux", ["capture-pane", "-p", "-t", session], { reject: false });
  return result.stdout;
}

async function waitFor(text: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if ((await screen()).includes(text)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`Timed out waiting for ${JSON.stringify(text)}; screen:\n${await screen()}`);
}

async function keys(...sequence: string[]): Promise<void> {
  await execa("tmux", ["send-keys", "-t", session, ...sequence]);
}

async function exitCode(): Promise<number> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    try {
      const text = await readFile(path.join(workspace, ".exit"), "utf8");
      return Number(text.trim().replace("exit=", ""));
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  throw new Error(`The command did not exit; screen:\n${await screen()}`);
}

async function projectFiles(): Promise<string[]> {
  return (await readdir(workspace)).filter((name) => name !== ".exit");
}

describe("interactive prompts", () => {
  it("asks every question and generates the answers", async () => {
    await waitFor("Project directory");
    await keys("-l", "shop-api");
    await keys("Enter");
    await waitFor("Project name");
    await keys("Enter");
    await waitFor("Authentication");
    await keys("Enter");
    await waitFor("Database");
    await keys("Down", "Enter");
    await waitFor("CORS origins");
    await keys("-l", "https://shop.example.com");
    await keys("Enter");
    await waitFor("Rate-limit storage");
    await keys("Down", "Enter");
    await waitFor("Add LLM endpoints");
    await keys("Enter");
    await waitFor("Model serving");
    await keys("Enter");
    expect(await exitCode()).toBe(0);
    const env = await readFile(path.join(workspace, "shop-api", ".env"), "utf8");
    expect(env).toContain("DATABASE_URL='postgresql+psycopg://postgres@127.0.0.1:5432/shop_api'");
    expect(env).toContain("RATE_LIMIT_STORAGE_URI='redis://127.0.0.1:6379/0'");
    expect(env).toContain(`CORS_ORIGINS='["https://shop.example.com"]'`);
  }, 60_000);

  it("asks about model serving without accounts", async () => {
    await waitFor("Project directory");
    await keys("-l", "open-api");
    await keys("Enter");
    await waitFor("Project name");
    await keys("Enter");
    await waitFor("Authentication");
    await keys("Down", "Enter");
    await waitFor("Database");
    await keys("Enter");
    await waitFor("CORS origins");
    await keys("Enter");
    await waitFor("Rate-limit storage");
    await keys("Enter");
    await waitFor("Add LLM endpoints");
    await keys("Enter");
    await waitFor("Model serving");
    await keys("Down", "Enter");
    expect(await exitCode()).toBe(0);
    const pyproject = await readFile(path.join(workspace, "open-api", "pyproject.toml"), "utf8");
    expect(pyproject).toContain("safetensors");
    const apiKeys = await readFile(path.join(workspace, "open-api", "app", "core", "api_keys.py"), "utf8");
    expect(apiKeys).toContain("def get_api_key_id(");
  }, 60_000);

  it("shows a validation error and asks again for a bad origin", async () => {
    await waitFor("Project directory");
    await keys("-l", "api");
    await keys("Enter");
    await waitFor("Project name");
    await keys("Enter");
    await waitFor("Authentication");
    await keys("Enter");
    await waitFor("Database");
    await keys("Enter");
    await waitFor("CORS origins");
    await keys("-l", "http://evil.example.com");
    await keys("Enter");
    await waitFor("plain http is allowed only");
    await keys("Escape");
    expect(await exitCode()).toBe(1);
    expect(await projectFiles()).toEqual([]);
  }, 60_000);

  it("exits 1 and writes nothing when a prompt is cancelled", async () => {
    await waitFor("Project directory");
    await keys("-l", "api");
    await keys("Enter");
    await waitFor("Project name");
    await keys("Escape");
    expect(await exitCode()).toBe(1);
    expect(await projectFiles()).toEqual([]);
  }, 30_000);

  it("exits 130 and writes nothing on Ctrl-C", async () => {
    await waitFor("Project directory");
    await keys("C-c");
    expect(await exitCode()).toBe(130);
    expect(await projectFiles()).toEqual([]);
  }, 30_000);
});
