// Prints the licences of the packages bundled into workspace.js: every
// non-dev package of package-lock.json, with its licence file's text.
"use strict";
const fs = require("fs");
const path = require("path");

const root = path.join(__dirname, "..");
const lock = JSON.parse(fs.readFileSync(path.join(root, "package-lock.json"), "utf8"));
const out = ["Third-party software bundled in workspace.js (built from web/ by scripts/build-assets.sh).", ""];
for (const [where, pkg] of Object.entries(lock.packages).sort()) {
  if (!where || pkg.dev) continue;
  const dir = path.join(root, where);
  const name = where.replace(/^.*node_modules\//, "");
  const file = fs.readdirSync(dir).find((f) => /^licen[cs]e/i.test(f));
  out.push("=".repeat(72), `${name} ${pkg.version} (${pkg.license || "see below"})`, "=".repeat(72));
  out.push(file ? fs.readFileSync(path.join(dir, file), "utf8").trim() : "(no licence file in the package)", "");
}
process.stdout.write(out.join("\n") + "\n");
