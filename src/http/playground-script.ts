/**
 * The playground page's script, as text: plain browser JavaScript, no framework, no build step,
 * talking to its own origin only. It is inlined into the page, and the page's content security
 * policy allows exactly this text (by its SHA-256), so it holds no template literal and nothing is
 * interpolated into it: the completion route reaches it through `<body data-path>`.
 *
 * @packageDocumentation
 */

/** The script of the playground page. @internal */
export const PLAYGROUND_SCRIPT: string = String.raw`
"use strict";
(() => {
  const $ = (id) => document.getElementById(id);
  const path = document.body.dataset.path;
  const el = {
    form: $("form"), prompt: $("prompt"), model: $("model"), temperature: $("temperature"),
    maxTokens: $("max-tokens"), echo: $("echo"), stream: $("stream"), query: $("query"),
    auth: $("auth"), key: $("api-key"), reload: $("reload"), send: $("send"), stop: $("stop"),
    copy: $("copy"), status: $("status"), output: $("output"), error: $("error"), curl: $("curl"),
  };
  let running = null; // the AbortController of the request in flight

  const setStatus = (text) => { el.status.textContent = text; };
  const showError = (text) => { el.error.textContent = text; el.error.hidden = text === ""; };
  // The key lives in this input only: never stored, never shown.
  const apiKey = () => el.key.value.trim();
  const authHeaders = () => (apiKey() === "" ? {} : { authorization: "Bearer " + apiKey() });

  // FastAPI's detail: a string, a list of {loc, msg}, or the endpoint's {code, message}.
  function describeDetail(detail) {
    if (typeof detail === "string") return detail;
    if (Array.isArray(detail)) {
      return detail.map((issue) =>
        (Array.isArray(issue.loc) ? issue.loc.join(".") + ": " : "") + issue.msg).join("; ");
    }
    if (detail && typeof detail.message === "string") {
      return (detail.code ? detail.code + ": " : "") + detail.message;
    }
    return JSON.stringify(detail);
  }

  // A non-2xx answer as the API reports it: the status, then its JSON detail (or its text).
  function describeFailure(response, text) {
    let said = text.trim();
    try {
      const body = JSON.parse(text);
      said = describeDetail(body && body.detail !== undefined ? body.detail : body);
    } catch (_) { /* not JSON: the text as it came */ }
    const status = "HTTP " + response.status + (response.statusText ? " " + response.statusText : "");
    return said === "" ? status : status + ": " + said;
  }

  async function getJson(route) {
    const response = await fetch(route, { headers: authHeaders(), cache: "no-store" });
    const text = await response.text();
    if (!response.ok) {
      const error = new Error(route + ": " + describeFailure(response, text));
      error.status = response.status;
      throw error;
    }
    return JSON.parse(text);
  }

  function fill(select, entries, chosen, none) {
    select.replaceChildren();
    for (const [value, label] of entries) select.add(new Option(label, value, false, value === chosen));
    if (entries.length === 0) select.add(new Option("(" + none + ")", ""));
  }

  async function loadLists() {
    showError("");
    setStatus("Loading the models and prompts…");
    try {
      const [models, prompts] = await Promise.all([getJson("/models"), getJson("/prompts")]);
      const modelEntries = models.models.map((m) => [m.name, m.name + " (" + m.kind + ")"]);
      fill(el.model, modelEntries, models.default, "no model configured");
      fill(el.prompt, prompts.prompts.map((name) => [name, name]), prompts.default, "no template");
      setStatus("Ready");
    } catch (error) {
      setStatus("");
      if (error.status === 401) {
        el.auth.open = true;
        showError("API key required: enter it under \"API key\" and press Reload lists.");
        el.key.focus();
      } else showError(error.message);
    }
  }

  function requestBody() {
    const body = { query: el.query.value, stream: el.stream.checked, echo: el.echo.checked };
    if (el.model.value !== "") body.model_name = el.model.value;
    if (el.temperature.value.trim() !== "") body.temperature = Number(el.temperature.value);
    if (el.maxTokens.value.trim() !== "") body.max_tokens = Number(el.maxTokens.value);
    if (el.prompt.value !== "") body.prompt_name = el.prompt.value;
    return body;
  }

  // Server-sent events as the HTML spec reads them: lines end in CRLF, LF or CR; the data lines of
  // an event are joined with LF; comment lines (": ping - …") are skipped.
  async function readEvents(stream, onToken) {
    const reader = stream.getReader();
    const decoder = new TextDecoder();
    const result = { ended: false, error: "" };
    let buffer = "";
    let data = [];
    let type = "";
    const dispatch = () => {
      if (data.length > 0) {
        const payload = data.join("\n");
        if (type === "" || type === "message") onToken(payload);
        else if (type === "end") result.ended = true;
        else if (type === "error") {
          let said = payload;
          try { said = describeDetail(JSON.parse(payload)); } catch (_) { /* as it came */ }
          result.error = "The stream reported an error: " + said;
        }
      }
      data = [];
      type = "";
    };
    const field = (line) => {
      if (line.startsWith(":")) return;
      const colon = line.indexOf(":");
      const name = colon === -1 ? line : line.slice(0, colon);
      let value = colon === -1 ? "" : line.slice(colon + 1);
      if (value.startsWith(" ")) value = value.slice(1);
      if (name === "data") data.push(value);
      else if (name === "event") type = value;
    };
    try {
      for (;;) {
        const { value, done } = await reader.read();
        buffer += done ? decoder.decode() : decoder.decode(value, { stream: true });
        for (;;) {
          const match = /\r\n|\r|\n/.exec(buffer);
          if (match === null) break;
          // A CR ending the buffer may be half of a CRLF: wait for the next chunk.
          if (match[0] === "\r" && match.index === buffer.length - 1 && !done) break;
          const line = buffer.slice(0, match.index);
          buffer = buffer.slice(match.index + match[0].length);
          if (line === "") dispatch();
          else field(line);
          if (result.ended || result.error !== "") return result;
        }
        if (done) return result;
      }
    } finally {
      reader.cancel().catch(() => {});
    }
  }

  async function send() {
    if (running !== null) return;
    const controller = new AbortController();
    running = controller;
    el.send.disabled = true;
    el.stop.disabled = false;
    showError("");
    el.output.replaceChildren();
    const answer = document.createTextNode("");
    el.output.append(answer);
    setStatus("Waiting for the model…");
    let outcome;
    try {
      const response = await fetch(path + "?end=1", {
        method: "POST",
        headers: { "content-type": "application/json", ...authHeaders() },
        body: JSON.stringify(requestBody()),
        signal: controller.signal,
        cache: "no-store",
      });
      if (!response.ok || response.body === null) {
        outcome = { error: describeFailure(response, await response.text()) };
      } else {
        setStatus("Streaming…");
        outcome = await readEvents(response.body, (token) => answer.appendData(token));
      }
    } catch (error) {
      outcome = controller.signal.aborted
        ? { stopped: true }
        : { error: "The request failed: " + (error && error.message) };
    } finally {
      running = null;
      el.send.disabled = false;
      el.stop.disabled = true;
    }
    if (outcome.stopped) setStatus("Stopped: the request was cancelled");
    else if (outcome.error) {
      setStatus("Failed");
      showError(outcome.error);
    } else if (outcome.ended) setStatus("Done");
    else {
      setStatus("Cut off");
      showError("The stream closed before its end frame: the answer may be cut off.");
    }
  }

  // POSIX shell quoting: a word of safe characters as is, anything else in single quotes.
  const shellQuote = (word) =>
    /^[A-Za-z0-9_\/:.,@%+=-]+$/.test(word) ? word : "'" + word.replace(/'/g, "'\\''") + "'";

  function curlCommand(key) {
    const words = ["curl", "-N", "-X", "POST", location.origin + path,
      "-H", "content-type: application/json"];
    if (key !== "") words.push("-H", "authorization: Bearer " + key);
    words.push("-d", JSON.stringify(requestBody()));
    return words.map(shellQuote).join(" ");
  }

  async function copyCurl() {
    const command = curlCommand(apiKey());
    let copied = false;
    try {
      await navigator.clipboard.writeText(command);
      copied = true;
    } catch (_) { /* no clipboard outside a secure context: the command is shown instead */ }
    // Once the clipboard holds it, the key stays off the screen.
    el.curl.textContent = copied && apiKey() !== "" ? curlCommand("****") : command;
    el.curl.hidden = false;
    setStatus(copied ? "Copied the curl command" : "Copy the command below");
  }

  el.form.addEventListener("submit", (event) => {
    event.preventDefault();
    send();
  });
  el.stop.addEventListener("click", () => running && running.abort());
  el.copy.addEventListener("click", copyCurl);
  el.reload.addEventListener("click", loadLists);
  el.key.addEventListener("keydown", (event) => {
    if (event.key !== "Enter") return;
    event.preventDefault();
    loadLists();
  });
  el.query.addEventListener("keydown", (event) => {
    if (event.key !== "Enter" || !(event.ctrlKey || event.metaKey)) return;
    event.preventDefault();
    el.form.requestSubmit();
  });
  loadLists();
})();
`;
