import { execa } from "execa";
import { createServer } from "node:net";

const PSQL_ARGS = ["-h", "127.0.0.1", "-U", "postgres", "-v", "ON_ERROR_STOP=1", "-q", "-d", "postgres", "-c"];

/** Create an empty PostgreSQL database for one test run; returns its SQLAlchemy URL. */
export async function createDatabase(name: string): Promise<string> {
  await execa("psql", [...PSQL_ARGS, `DROP DATABASE IF EXISTS ${name}`]);
  await execa("psql", [...PSQL_ARGS, `CREATE DATABASE ${name}`]);
  return `postgresql+psycopg://postgres@127.0.0.1:5432/${name}`;
}

export async function dropDatabase(name: string): Promise<void> {
  await execa("psql", [...PSQL_ARGS, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`]);
}

/** Ask the kernel for a free TCP port on the loopback interface. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

/** Poll a URL until it answers or the deadline passes. */
export async function waitForHttp(url: string, timeoutMs: number): Promise<Response> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      return await fetch(url);
    } catch (error) {
      lastError = error;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms: ${String(lastError)}`);
}
