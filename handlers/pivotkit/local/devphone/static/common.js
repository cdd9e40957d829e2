"use strict";
// Shared by the dev phone and the inspector. Text goes into the page as text only
// (textContent), never as HTML: callflows and prompts are data from the flows under test.

const DEV_HEADERS = { "X-Pivotkit-Dev": "1", "Content-Type": "application/json" };

async function api(path, body) {
  const options = body === undefined ? {} : { method: "POST", headers: DEV_HEADERS, body: JSON.stringify(body) };
  const response = await fetch(path, options);
  if (response.status === 204) return null;
  const data = await response.json().catch(() => ({}));
  if (!response.ok) {
    const error = new Error(data.message || `HTTP ${response.status}`);
    error.code = data.error;
    throw error;
  }
  return data;
}

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "className") node.className = value;
    else if (name === "text") node.textContent = value;
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined) continue;
    node.append(typeof child === "string" ? document.createTextNode(child) : child);
  }
  return node;
}

// Kazoo writes languages as "en-us"; the browser wants BCP 47 ("en-US").
function bcp47(language) {
  const match = /^([a-z]{2,3})(?:-([a-z]{2}))?$/i.exec(String(language || ""));
  if (!match) return "en-US";
  return match[2] ? `${match[1].toLowerCase()}-${match[2].toUpperCase()}` : match[1].toLowerCase();
}

// A callflow as nested <details>: one per node, its data as a list, its children inside.
function callflowTree(node, key, depth) {
  if (node === null || typeof node !== "object") return el("span", { text: JSON.stringify(node) });
  const module = typeof node.module === "string" ? node.module : "?";
  const details = el("details", { className: "node", open: depth < 2 });
  details.append(el("summary", {}, key ? el("span", { className: "key", text: key }) : null, el("span", { className: "module", text: module })));
  const data = node.data && typeof node.data === "object" ? node.data : {};
  const list = el("dl", { className: "data" });
  for (const [name, value] of Object.entries(data)) {
    list.append(el("dt", { text: name }), el("dd", { text: typeof value === "string" ? value : JSON.stringify(value) }));
  }
  if (list.childElementCount) details.append(list);
  const children = node.children && typeof node.children === "object" ? node.children : {};
  for (const [childKey, child] of Object.entries(children)) details.append(callflowTree(child, childKey, depth + 1));
  return details;
}
