#!/usr/bin/env node
/**
 * `npm run check:standalone` (run by .ci/run before the tests): the
 * repository stands alone. Its README, docs, code comments, test names and
 * messages cite only files that are in the repository and public sources
 * (RFCs, vendors' public documentation, public issue URLs), never the team's
 * private notes, which a reader of the repository cannot open.
 *
 * Scans every tracked file and every untracked file that is not ignored
 * (`git ls-files`), or, outside a git checkout, every file under the root
 * except node_modules/, .git/ and .wrangler/. Prints file:line for each hit
 * and exits 1 if there is any. Node built-ins only.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const SELF = path.relative(ROOT, fileURLToPath(import.meta.url)).split(path.sep).join("/");
const SKIP_DIRS = new Set(["node_modules", ".git", ".wrangler", "coverage"]);
const SKIP_FILES = new Set([SELF, "package-lock.json"]);

/**
 * What a reader cannot follow, and what to write instead. Built from parts so
 * that this file does not match itself when read by a plain grep.
 */
const RULES = [
  { re: new RegExp(`\\b(${["contract\\.md", "product\\.md", "idp" + "-notes", "platform" + "-notes"].join("|")})`, "i"), why: "cites a private note" },
  { re: new RegExp(String.raw`\.\./shared\b|\bshared/docs\b|\bresearch/idp-`), why: "points outside the repository" },
  { re: /\b(MS|OKTA)-[A-Z]{2,}\b/, why: "uses a private source tag; name the public page instead (e.g. Microsoft's SCIM guide for Entra ID)" },
  { re: /\bREF\b/, why: "uses a private source tag; name Microsoft's SCIMReferenceCode (GitHub AzureAD/SCIMReferenceCode) instead" },
  { re: /§\s?\d+(\.\d+)*,?\s+bugs?\s+\d/, why: "cites a private bug list; give the public issue URL or state the behaviour" },
  { re: /\(inf[;,)]/, why: "uses a private source tag" },
  { re: /\bissues? \d+\b/i, why: "cites the team's issue tracker; state the behaviour (or a public issue URL) instead" },
];

function listFiles() {
  try {
    const out = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], { cwd: ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
    return [...new Set(out.split("\0").filter(Boolean))];
  } catch {
    const files = [];
    const walk = (dir) => {
      for (const entry of readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
        const rel = dir ? `${dir}/${entry.name}` : entry.name;
        if (entry.isDirectory()) {
          if (!SKIP_DIRS.has(entry.name)) walk(rel);
        } else if (entry.isFile()) files.push(rel);
      }
    };
    walk("");
    return files;
  }
}

const hits = [];
let checked = 0;
for (const file of listFiles()) {
  if (SKIP_FILES.has(file) || file.split("/").some((part) => SKIP_DIRS.has(part))) continue;
  const full = path.join(ROOT, file);
  if (!existsSync(full) || !statSync(full).isFile()) continue; // deleted in the work tree
  const bytes = readFileSync(full);
  if (bytes.includes(0)) continue; // binary
  checked++;
  const lines = bytes.toString("utf8").split(/\r?\n/);
  lines.forEach((line, i) => {
    for (const { re, why } of RULES) {
      const m = re.exec(line);
      if (m) hits.push(`${file}:${i + 1}: "${m[0]}" ${why}\n    ${line.trim().slice(0, 160)}`);
    }
  });
}

if (hits.length > 0) {
  console.error(`check-standalone: ${hits.length} reference(s) a reader of this repository cannot follow:\n`);
  for (const hit of hits) console.error(hit);
  console.error(
    "\nThe repository must stand alone: say the fact itself, cite a public source (an RFC section, a vendor's public" +
      "\ndocumentation by name, a public issue URL), or point to a file in the repository (README, docs/).",
  );
  process.exit(1);
}
console.log(`check-standalone: ${checked} files cite nothing outside the repository.`);
