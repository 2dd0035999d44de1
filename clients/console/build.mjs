// Builds the console into a directory (default: the Go package's dist that
// core/console embeds): app.js (the bundle of src/main.ts with the client
// from ../js/src), app.css and index.html, which names both with a content
// hash (?v=…) so the node may let browsers cache them for good; and
// client.js, the client alone, which every node serves at /v1/client.js.
// The output is deterministic: `node build.mjs --check DIR` builds into a
// temporary directory and fails when DIR differs (the committed dist is
// stale: run `npm run build` and commit it).
import { build } from "esbuild";
import { createHash } from "node:crypto";
import { mkdtempSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const check = args[0] === "--check";
const target = resolve(args[check ? 1 : 0] ?? join(here, "../../core/console/dist"));

// bundle builds one entry into memory (minified, UTF-8); scripts become
// ES2022 modules.
async function bundle(entry) {
  const script = !entry.endsWith(".css");
  const out = await build({
    entryPoints: [join(here, entry)],
    bundle: true,
    ...(script ? { format: "esm", target: "es2022", legalComments: "none" } : {}),
    minify: true,
    charset: "utf8",
    write: false,
    logLevel: "warning",
  });
  return out.outputFiles[0].contents;
}

async function buildInto(out) {
  mkdirSync(out, { recursive: true });
  const files = {
    "app.js": await bundle("src/main.ts"),
    "app.css": await bundle("src/app.css"),
    // The TypeScript client alone as one ES module, which the node serves
    // at /v1/client.js so that a page can import it without a bundler
    // (README "From a browser").
    "client.js": await bundle("../js/src/index.ts"),
  };
  const hash = (b) => createHash("sha256").update(b).digest("hex").slice(0, 12);
  const html = readFileSync(join(here, "src/index.html"), "utf8")
    .replace("{{app.js}}", `/console/app.js?v=${hash(files["app.js"])}`)
    .replace("{{app.css}}", `/console/app.css?v=${hash(files["app.css"])}`);
  files["index.html"] = Buffer.from(html);
  for (const [name, body] of Object.entries(files)) writeFileSync(join(out, name), body);
  return Object.keys(files).sort();
}

if (!check) {
  const names = await buildInto(target);
  console.log(`console: built ${names.join(", ")} into ${target}`);
} else {
  const tmp = mkdtempSync(join(tmpdir(), "sb-console-"));
  try {
    const names = await buildInto(tmp);
    const committed = readdirSync(target).sort();
    const stale = [];
    if (committed.join() !== names.join()) stale.push(`files: ${target} has [${committed}], a fresh build has [${names}]`);
    for (const n of names) {
      let old;
      try {
        old = readFileSync(join(target, n));
      } catch {
        continue;
      }
      if (!old.equals(readFileSync(join(tmp, n)))) stale.push(`${n} differs from a fresh build`);
    }
    if (stale.length > 0) {
      console.error(`console: the committed dist is stale (run \`npm run build\` in clients/console and commit ${target}; the bundle includes clients/js/src, so a change there needs it too):\n  ${stale.join("\n  ")}`);
      process.exit(1);
    }
    console.log(`console: ${target} matches a fresh build (${names.join(", ")})`);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
