import { execa, type ResultPromise } from "execa";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";
import { ensurePythonEnv } from "../helpers/python-env.js";
import { freePort, waitForHttp } from "../helpers/services.js";

/**
 * CORS is enforced by browsers, so this test runs a real headless Chromium:
 * a page on an allowed origin can read the generated API's responses, a page
 * on any other origin cannot.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

let workspace: string;
let api: ResultPromise;
let apiUrl: string;
let allowedPage: { server: Server; origin: string };
let otherPage: { server: Server; origin: string };
let browser: Browser;

async function servePage(): Promise<{ server: Server; origin: string }> {
  const port = await freePort();
  const server = createServer((_request, response) => {
    response.writeHead(200, { "content-type": "text/html" });
    response.end("<!doctype html><title>client</title>");
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  return { server, origin: `http://127.0.0.1:${port}` };
}

async function startApi(allowedOrigin: string): Promise<void> {
  const bin = await ensurePythonEnv();
  workspace = await mkdtemp(path.join(tmpdir(), "csf-browser-"));
  const generated = await runCli(["svc", "--yes", "--no-git"], { cwd: workspace });
  expect(generated.exitCode).toBe(0);
  const root = path.join(workspace, "svc");
  await execa(path.join(bin, "alembic"), ["upgrade", "head"], { cwd: root });
  const port = await freePort();
  apiUrl = `http://127.0.0.1:${port}`;
  api = execa(path.join(bin, "uvicorn"), ["app.main:app", "--host", "127.0.0.1", "--port", String(port)], {
    cwd: root,
    env: { CORS_ORIGINS: JSON.stringify([allowedOrigin]) },
    reject: false,
  });
  await waitForHttp(`${apiUrl}/api/v1/health/live`, 30_000);
}

/** Run fetch() inside a page on the given origin; returns the status or the error's name. */
async function fetchFrom(origin: string, init: { headers?: Record<string, string> }): Promise<string> {
  const page = await browser.newPage();
  try {
    await page.goto(`${origin}/`);
    return await page.evaluate(
      async ({ url, headers }) => {
        try {
          const response = await fetch(url, { headers });
          return `status ${response.status}`;
        } catch (error) {
          return (error as Error).name;
        }
      },
      { url: `${apiUrl}/api/v1/users/me`, headers: init.headers ?? {} },
    );
  } finally {
    await page.close();
  }
}

beforeAll(async () => {
  allowedPage = await servePage();
  otherPage = await servePage();
  await startApi(allowedPage.origin);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}, 600_000);

afterAll(async () => {
  await browser?.close();
  api?.kill("SIGTERM");
  await api;
  allowedPage?.server.close();
  otherPage?.server.close();
  await rm(workspace, { recursive: true, force: true });
});

describe("CORS in a real browser", () => {
  it("lets an allowed origin read a response", async () => {
    expect(await fetchFrom(allowedPage.origin, {})).toBe("status 401");
  });

  it("lets an allowed origin send a bearer token after preflight", async () => {
    const result = await fetchFrom(allowedPage.origin, { headers: { Authorization: "Bearer not-a-token" } });
    expect(result).toBe("status 401");
  });

  it("blocks a simple request from another origin", async () => {
    expect(await fetchFrom(otherPage.origin, {})).toBe("TypeError");
  });

  it("blocks a preflighted request from another origin", async () => {
    const result = await fetchFrom(otherPage.origin, { headers: { Authorization: "Bearer not-a-token" } });
    expect(result).toBe("TypeError");
  });
});
