// The tarball carries what the README points to: every relative link in README.md (and in the other
// Markdown files it ships) names a file in `npm pack`'s list, and every #anchor names a heading.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { dirname, join, posix } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");

const packed: string[] =
  (
    JSON.parse(
      execFileSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], {
        cwd: ROOT,
        encoding: "utf8",
        stdio: ["ignore", "pipe", "ignore"],
      }),
    ) as { files: { path: string }[] }[]
  )[0]?.files.map((file) => file.path) ?? [];

/** The targets of the Markdown links and images in `markdown`, code blocks left out. */
const linkTargets = (markdown: string) =>
  [...markdown.replace(/^```[\s\S]*?^```$/gm, "").matchAll(/\]\(([^)\s]+)\)/g)].map(
    (match) => match[1] ?? "",
  );

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces as dashes. */
const slug = (heading: string) =>
  heading
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, "")
    .replace(/\s/g, "-");

const markdownFiles = packed.filter((path) => path.endsWith(".md"));

test("npm pack lists the Markdown files and the LICENSE", () => {
  expect(packed).toEqual(
    expect.arrayContaining(["README.md", "ARCHITECTURE.md", "CHANGELOG.md", "LICENSE"]),
  );
});

describe.each(markdownFiles)("%s", (file) => {
  const markdown = readFileSync(join(ROOT, file), "utf8");
  const anchors = new Set(
    [...markdown.matchAll(/^#+ (.+)$/gm)].map((match) => slug(match[1] ?? "")),
  );
  const targets = linkTargets(markdown).filter((target) => !/^[a-z]+:/.test(target));

  test.each(targets.length > 0 ? targets : ["(none)"])("link %s resolves", (target) => {
    if (target === "(none)") return;
    const [path = "", anchor] = target.split("#");
    if (path === "") {
      expect([...anchors], `no heading for #${anchor}`).toContain(anchor);
      return;
    }
    const resolved = posix.normalize(posix.join(posix.dirname(file), path));
    expect(packed, `${target} is not in the tarball`).toContain(resolved);
  });
});
