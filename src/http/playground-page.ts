/**
 * The playground at `GET /`: one self-contained page (inline CSS and script, nothing fetched but
 * its own origin's `/models`, `/prompts` and the completion route), held as a string so that it is
 * served on edge runtimes too, with no file read.
 *
 * @packageDocumentation
 */

import { PLAYGROUND_SCRIPT } from "./playground-script.js";

const STYLE = `
:root { color-scheme: light dark; font-family: system-ui, sans-serif; line-height: 1.4; }
body { margin: 0; padding: 1rem; }
main { max-width: 60rem; margin: 0 auto; }
h1 { font-size: 1.25rem; margin: 0 0 1rem; }
form { display: grid; gap: 0.75rem; }
.row { display: flex; flex-wrap: wrap; gap: 0.75rem 1.25rem; align-items: end; }
label { display: grid; gap: 0.25rem; font-size: 0.9rem; }
label.check { display: flex; align-items: center; gap: 0.4rem; }
input[type="number"] { width: 7rem; }
select { min-width: 12rem; }
textarea { width: 100%; box-sizing: border-box; font: inherit; }
button { padding: 0.35rem 1rem; font: inherit; }
details { font-size: 0.9rem; }
details input { margin: 0.5rem 0.5rem 0 0; }
#status { color: GrayText; font-size: 0.9rem; align-self: center; }
#output, #curl { white-space: pre-wrap; word-break: break-word; border: 1px solid GrayText;
  border-radius: 4px; padding: 0.75rem; margin: 1rem 0 0; min-height: 6rem; font-family: ui-monospace, monospace; }
#curl { min-height: 0; font-size: 0.85rem; }
#error { color: #c62828; font-weight: 600; white-space: pre-wrap; }
@media (prefers-color-scheme: dark) { #error { color: #ff8a80; } }
`;

/** `text` safe inside a double-quoted HTML attribute. */
function escapeAttribute(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] ?? c,
  );
}

/** The page's HTML, posting to `route`. */
export function playgroundHtml(route: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>completion-chain playground</title>
<link rel="icon" href="data:,">
<style>${STYLE}</style>
</head>
<body data-path="${escapeAttribute(route)}">
<main>
<h1>completion-chain playground</h1>
<form id="form" novalidate>
  <div class="row">
    <label>Prompt <select id="prompt"></select></label>
    <label>Model <select id="model"></select></label>
  </div>
  <div class="row">
    <label>Temperature <input id="temperature" type="number" min="0" max="1" step="0.1" value="0.7"></label>
    <label>Max tokens <input id="max-tokens" type="number" step="1" value="1024"></label>
    <label class="check"><input id="echo" type="checkbox"> Echo</label>
    <label class="check"><input id="stream" type="checkbox" checked> Stream</label>
  </div>
  <details id="auth">
    <summary>API key</summary>
    <input id="api-key" type="password" autocomplete="off" spellcheck="false" aria-label="API key"
      placeholder="sent as a bearer token; kept in this page only"><button id="reload" type="button">Reload lists</button>
  </details>
  <label>Query <textarea id="query" rows="4" placeholder="Ctrl+Enter sends"></textarea></label>
  <div class="row">
    <button id="send" type="submit">Send</button>
    <button id="stop" type="button" disabled>Stop</button>
    <button id="copy" type="button">Copy curl</button>
    <span id="status" role="status"></span>
  </div>
</form>
<p id="error" role="alert" hidden></p>
<pre id="output" aria-live="polite"></pre>
<pre id="curl" hidden></pre>
</main>
<script>${PLAYGROUND_SCRIPT}</script>
</body>
</html>
`;
}

/** `'sha256-…'`, a CSP source allowing exactly `text` inline. */
async function hashSource(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  let binary = "";
  for (const byte of new Uint8Array(digest)) binary += String.fromCharCode(byte);
  return `'sha256-${btoa(binary)}'`;
}

let policy: Promise<string> | undefined;

/**
 * The page's content security policy: its own inline style and script (by hash, nothing else
 * inline runs), requests to its own origin only, no frames, no forms posted anywhere, no other
 * resource of any kind.
 */
export function playgroundPolicy(): Promise<string> {
  policy ??= Promise.all([hashSource(PLAYGROUND_SCRIPT), hashSource(STYLE)]).then(
    ([script, style]) =>
      [
        "default-src 'none'",
        `script-src ${script}`,
        `style-src ${style}`,
        "connect-src 'self'",
        "img-src data:",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
      ].join("; "),
  );
  return policy;
}

/** The `GET /` response: the page for `route`, with its policy. @internal */
export async function playgroundResponse(route: string): Promise<Response> {
  return new Response(playgroundHtml(route), {
    status: 200,
    headers: {
      "content-type": "text/html; charset=utf-8",
      "content-security-policy": await playgroundPolicy(),
      "cache-control": "no-cache",
      "x-content-type-options": "nosniff",
      "referrer-policy": "no-referrer",
    },
  });
}
