#!/usr/bin/env node
// Throughput of the bundled scanner against Bandit and Semgrep on one corpus,
// measured in the same run: the FastAPI source distribution from PyPI
// (framework, docs_src and tests, about 137,000 lines of Python in 0.165.0).
// The corpus and a virtual environment with Bandit and Semgrep are kept in
// .cache/bench (git-ignored); nothing fetched here is committed.
//
// Usage: npm run build && node scripts/bench-scanner.mjs [--runs N] [--only-ours]
// Prints figures; asserts nothing. Needs python3 with pip and venv, and
// access to PyPI on the first run. Wall times depend on other load on the
// machine, so the load average is printed with them, and CPU time (user plus
// system, all threads) is printed as the steadier measure of work done.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const cacheDir = path.join(root, ".cache", "bench");
const FASTAPI_VERSION = "0.165.0";
const BANDIT_VERSION = "1.9.4";
const SEMGREP_VERSION = "1.187.0";
const MIN_CORPUS_LINES = 50_000;
const TOOL_TIMEOUT_S = 900;

// Semgrep rules for the same weaknesses, as close to ours as its patterns
// allow, so that Semgrep does comparable work. The registry cannot be
// reached offline, so the rules live here.
const SEMGREP_RULES = `rules:
  - id: request-json
    languages: [python]
    severity: WARNING
    message: body read without validation
    pattern: await $REQ.json()
  - id: file-response-fstring
    languages: [python]
    severity: ERROR
    message: file path from input
    pattern-either:
      - pattern: FileResponse(f"...")
      - pattern: open(f"...", ...)
  - id: jwt-none
    languages: [python]
    severity: ERROR
    message: jwt none algorithm
    pattern: jwt.decode(..., algorithms=[..., "none", ...], ...)
  - id: jwt-no-verify
    languages: [python]
    severity: ERROR
    message: jwt verification disabled
    pattern: 'jwt.decode(..., options={..., "verify_signature": False, ...}, ...)'
  - id: hardcoded-secret
    languages: [python]
    severity: ERROR
    message: hard-coded secret
    pattern-regex: (?i)(secret_?key|jwt_?secret|signing_?key)\\s*(:\\s*\\w+\\s*)?=\\s*["'][^"']+["']
  - id: python-jose
    languages: [python]
    severity: WARNING
    message: python-jose
    pattern-either:
      - pattern: import jose
      - pattern: from jose import $X
  - id: sql-injection
    languages: [python]
    severity: ERROR
    message: SQL built from strings
    mode: taint
    pattern-sources:
      - pattern: f"..."
      - pattern: '"..." % $X'
      - pattern: '"...".format(...)'
      - pattern: '"..." + $X'
    pattern-sinks:
      - pattern: $DB.execute($Q, ...)
      - pattern: sqlalchemy.text($Q)
  - id: debug-true
    languages: [python]
    severity: WARNING
    message: debug mode
    pattern: FastAPI(..., debug=True, ...)
  - id: cors-wildcard
    languages: [python]
    severity: ERROR
    message: CORS wildcard
    pattern: $APP.add_middleware($M, ..., allow_origins=["*"], ...)
  - id: pickle-load
    languages: [python]
    severity: ERROR
    message: unsafe deserialization
    pattern-either:
      - pattern: pickle.load(...)
      - pattern: pickle.loads(...)
      - pattern: joblib.load(...)
      - pattern: torch.load(...)
      - pattern: $F(..., trust_remote_code=True, ...)
  - id: str-exception-in-response
    languages: [python]
    severity: WARNING
    message: exception text in response
    patterns:
      - pattern-inside: |
          try:
            ...
          except Exception as $E:
            ...
      - pattern: HTTPException(..., detail=str($E), ...)
  - id: login-without-limit
    languages: [python]
    severity: WARNING
    message: login route without a limiter
    patterns:
      - pattern: |
          @$APP.post("/login")
          def $F(...):
            ...
      - pattern-not: |
          @$APP.post("/login")
          @$L.limit(...)
          def $F(...):
            ...
`;

function log(message) {
  console.log(message);
}

function run(command, args, options = {}) {
  return execFileSync(command, args, { stdio: ["ignore", "pipe", "inherit"], encoding: "utf8", ...options });
}

function ensureCorpus() {
  const corpus = path.join(cacheDir, "corpus", `fastapi-${FASTAPI_VERSION}`);
  if (existsSync(corpus)) return corpus;
  const downloads = path.join(cacheDir, "downloads");
  mkdirSync(downloads, { recursive: true });
  log(`Downloading the fastapi ${FASTAPI_VERSION} source distribution from PyPI`);
  run("python3", ["-m", "pip", "download", "--quiet", "--no-deps", "--no-binary", ":all:", `fastapi==${FASTAPI_VERSION}`, "-d", downloads]);
  const archive = readdirSync(downloads).find((name) => name.startsWith("fastapi-") && name.endsWith(".tar.gz"));
  if (!archive) throw new Error(`pip did not download a fastapi source archive into ${downloads}`);
  mkdirSync(path.dirname(corpus), { recursive: true });
  run("tar", ["-xzf", path.join(downloads, archive), "-C", path.dirname(corpus)]);
  // Semgrep skips tests/ by default; an empty ignore file makes it scan what the others scan.
  writeFileSync(path.join(corpus, ".semgrepignore"), "");
  return corpus;
}

function ensureVenv() {
  const venv = path.join(cacheDir, "venv");
  const bin = path.join(venv, "bin");
  if (!existsSync(path.join(bin, "semgrep")) || !existsSync(path.join(bin, "bandit"))) {
    log(`Installing bandit ${BANDIT_VERSION} and semgrep ${SEMGREP_VERSION} into ${path.relative(root, venv)}`);
    run("python3", ["-m", "venv", venv]);
    run(path.join(bin, "python"), ["-m", "pip", "install", "--quiet", `bandit==${BANDIT_VERSION}`, `semgrep==${SEMGREP_VERSION}`]);
  }
  return bin;
}

function countLines(dir) {
  let lines = 0;
  let files = 0;
  const pending = [dir];
  while (pending.length > 0) {
    const current = pending.pop();
    for (const entry of readdirSync(current, { withFileTypes: true })) {
      const child = path.join(current, entry.name);
      if (entry.isDirectory()) pending.push(child);
      else if (entry.name.endsWith(".py")) {
        files += 1;
        lines += readFileSync(child, "utf8").split("\n").length;
      }
    }
  }
  return { files, lines };
}

// Runs a command under Python and reports wall time, CPU time and the peak
// RSS of the process it waited for (RUSAGE_CHILDREN: ru_maxrss is in KiB on
// Linux and is the largest single process, threads included, not a sum).
const MEASURE = `
import json, resource, subprocess, sys, time
start = time.perf_counter()
completed = subprocess.run(sys.argv[2:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=float(sys.argv[1]))
seconds = time.perf_counter() - start
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"seconds": seconds, "cpuSeconds": usage.ru_utime + usage.ru_stime, "peakKiB": usage.ru_maxrss, "code": completed.returncode, "stderr": completed.stderr.decode()[-400:]}))
`;

function measure(python, command) {
  const output = run(python, ["-c", MEASURE, String(TOOL_TIMEOUT_S), ...command], { cwd: cacheDir });
  return JSON.parse(output.trim().split("\n").pop());
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function benchTool(name, python, command, runs, acceptCodes) {
  const samples = [];
  for (let index = 0; index < runs; index += 1) {
    const sample = measure(python, command);
    if (!acceptCodes.includes(sample.code)) {
      throw new Error(`${name} exited with ${sample.code}: ${sample.stderr}`);
    }
    samples.push(sample);
  }
  return {
    name,
    seconds: median(samples.map((sample) => sample.seconds)),
    cpuSeconds: median(samples.map((sample) => sample.cpuSeconds)),
    peakMiB: Math.max(...samples.map((sample) => sample.peakKiB)) / 1024,
    runs: samples.map((sample) => sample.seconds.toFixed(2)).join(", "),
  };
}

function loadAverage() {
  return os.loadavg().map((value) => value.toFixed(2)).join(", ");
}

function main() {
  const { values } = parseArgs({
    options: { runs: { type: "string", default: "3" }, "only-ours": { type: "boolean", default: false } },
  });
  const runs = Number.parseInt(values.runs, 10);
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs must be a positive integer, got ${values.runs}`);
  const scanner = path.join(root, "dist", "scanner", "index.js");
  if (!existsSync(scanner)) throw new Error("dist/scanner/index.js is missing: run `npm run build` first");
  mkdirSync(cacheDir, { recursive: true });
  const corpus = ensureCorpus();
  const bin = ensureVenv();
  const python = path.join(bin, "python");
  const { files, lines } = countLines(corpus);
  if (lines < MIN_CORPUS_LINES) throw new Error(`corpus has ${lines} lines, fewer than ${MIN_CORPUS_LINES}`);
  const rulesFile = path.join(cacheDir, "semgrep-rules.yml");
  writeFileSync(rulesFile, SEMGREP_RULES);
  const ourEntry = `import("${scanner}").then(async ({ scanPaths }) => { const report = await scanPaths([process.argv[1]]); console.error(report.findings.length); })`;
  const cpus = os.cpus();
  log(`Corpus: fastapi ${FASTAPI_VERSION} sdist, ${files} Python files, ${lines} lines; median of ${runs} runs each`);
  log(`Machine: ${cpus.length} x ${cpus[0]?.model ?? "unknown CPU"}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`);
  log(`Load average (1, 5, 15 min) before: ${loadAverage()}`);
  const results = [benchTool("secure-fastapi", python, ["node", "-e", ourEntry, corpus], runs, [0])];
  if (!values["only-ours"]) {
    results.push(
      benchTool(`bandit ${BANDIT_VERSION}`, python, [path.join(bin, "bandit"), "-r", corpus, "-q", "-f", "json", "-o", path.join(cacheDir, "bandit.json")], runs, [0, 1]),
      benchTool(
        `semgrep ${SEMGREP_VERSION}`,
        python,
        [path.join(bin, "semgrep"), "scan", "--config", rulesFile, "--metrics=off", "--disable-version-check", "--quiet", "--json", "--output", path.join(cacheDir, "semgrep.json"), corpus],
        runs,
        [0, 1],
      ),
    );
  }
  log(`Load average (1, 5, 15 min) after: ${loadAverage()}`);
  const ours = results[0];
  log("");
  log("tool                 seconds   lines/s   ours vs tool   CPU s   peak RSS   runs (s)");
  for (const result of results) {
    const rate = lines / result.seconds;
    const ratio = result === ours ? "-" : `${(result.seconds / ours.seconds).toFixed(1)}x`;
    log(
      `${result.name.padEnd(20)} ${result.seconds.toFixed(2).padStart(7)} ${Math.round(rate).toString().padStart(9)} ${ratio.padStart(14)} ${result.cpuSeconds.toFixed(2).padStart(7)} ${`${result.peakMiB.toFixed(0)} MiB`.padStart(10)}   ${result.runs}`,
    );
  }
  log("");
  log("Targets: >= 10x Bandit's and >= 20x Semgrep's throughput, peak RSS under 200 MB.");
}

main();
