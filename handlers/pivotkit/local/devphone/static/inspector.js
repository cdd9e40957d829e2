"use strict";
// The inspector: polls serve's call list and the chosen call's timeline, re-drawing only
// what changed (so an opened callflow stays open while a call runs).

const $ = (id) => document.getElementById(id);
const POLL_MS = 1000;
let selected = null;
let shownVersion = null;
let listVersion = "";

function selectedFromHash() {
  const match = /^#call=(.+)$/.exec(location.hash);
  return match ? decodeURIComponent(match[1]) : null;
}

function time(ms) {
  return new Date(ms).toLocaleTimeString([], { hour12: false });
}

async function refresh() {
  try {
    const { calls } = await api("/dev/api/calls");
    drawCalls(calls);
    if (selected) await drawTimeline();
  } catch (error) {
    $("timeline-head").textContent = `Cannot reach serve: ${error.message}`;
  }
  setTimeout(refresh, POLL_MS);
}

function drawCalls(calls) {
  const version = calls.map((c) => `${c.call_id}:${c.version}`).join("|") + `|${selected}`;
  $("no-calls").hidden = calls.length > 0;
  if (version === listVersion) return;
  listVersion = version;
  const list = $("calls");
  const focused = document.activeElement && document.activeElement.dataset ? document.activeElement.dataset.call : null;
  list.replaceChildren(...calls.map((c) => {
    const codes = c.errors.length ? c.errors.join(", ") : "";
    const button = el("button", { type: "button", className: `call ${c.failed ? "bad" : "ok"}`, "data-call": c.call_id, "aria-current": c.call_id === selected ? "true" : null },
      el("span", { className: "call-id", text: c.call_id }),
      el("span", { className: "meta", text: `${c.customer || "?"} · ${c.requests} request(s) · last ${c.last_status} · ${time(c.updated)}` }),
      codes ? el("span", { className: "error-code", text: codes }) : null);
    button.addEventListener("click", () => { location.hash = `call=${encodeURIComponent(c.call_id)}`; });
    return el("li", {}, button);
  }));
  if (focused) {
    const again = list.querySelector(`[data-call="${CSS.escape(focused)}"]`);
    if (again) again.focus();
  }
}

async function drawTimeline() {
  let view;
  try {
    view = await api(`/dev/api/calls/${encodeURIComponent(selected)}`);
  } catch (error) {
    $("timeline-head").textContent = error.code === "unknown_call" ? "No such call (yet)." : error.message;
    $("timeline").replaceChildren();
    $("path").hidden = true;
    shownVersion = null;
    return;
  }
  const version = `${view.call_id}:${view.version}:${view.mermaid.length}`;
  if (version === shownVersion) return;
  shownVersion = version;
  const failed = view.entries.filter((e) => e.status >= 400).length;
  $("timeline-head").textContent = `${view.call_id} · ${view.customer || "?"} · ${view.entries.length} request(s)` + (failed ? ` · ${failed} failed` : "") + ` · schemas: ${view.schemas}`;
  $("timeline").replaceChildren(...view.entries.map(entry));
  $("path").hidden = false;
  $("path-note").textContent = view.path_from === "dev phone" ? "Drawn from the dev phone's walk of this call." : "Drawn from the requests serve saw.";
  $("mermaid").textContent = view.mermaid;
}

function entry(e) {
  const bad = e.status >= 400;
  const summary = el("summary", {},
    el("span", { className: "at", text: time(e.at) }),
    el("span", { className: "method", text: e.method }),
    el("span", { className: "path", text: e.path + (e.step ? ` · step ${e.step}` : "") }),
    el("span", { className: `status ${bad ? "bad" : "ok"}`, text: String(e.status) }),
    e.error ? el("span", { className: "error-code", text: e.error }) : null,
    el("span", { className: "ms", text: `${e.duration_ms} ms` }),
    e.schema ? el("span", { className: `schema ${e.schema.verdict}`, text: `schema ${e.schema.verdict}` }) : null);
  const details = el("details", { className: `entry ${bad ? "bad" : "ok"}` }, summary);
  if (e.schema && e.schema.errors.length) {
    details.append(el("ul", { className: "schema-errors" }, ...e.schema.errors.map((text) => el("li", { text }))));
  }
  if (e.callflow) details.append(callflowTree(e.callflow, "", 0));
  else if (bad) details.append(el("p", { text: `Kazoo takes the pivot node's "_" child, or hangs up: answered ${e.status}${e.error ? ` (${e.error})` : ""}.` }));
  return el("li", {}, details);
}

document.addEventListener("DOMContentLoaded", () => {
  selected = selectedFromHash();
  window.addEventListener("hashchange", () => {
    selected = selectedFromHash();
    shownVersion = null;
    listVersion = "";
    if (selected) drawTimeline();
  });
  $("copy-mermaid").addEventListener("click", () => navigator.clipboard && navigator.clipboard.writeText($("mermaid").textContent));
  refresh();
});
