"use strict";
// The dev phone: dials through serve's virtual Kazoo, shows and speaks each prompt, sends
// keys while a collect waits, and lets the person choose what a bridge's far end does.

const $ = (id) => document.getElementById(id);
const POLL_MS = 250;
const OUTCOME_LABELS = {
  answer: "Answered",
  NO_ANSWER: "No answer",
  USER_BUSY: "Busy",
  CALL_REJECTED: "Rejected",
  UNALLOCATED_NUMBER: "Unallocated number",
  NORMAL_TEMPORARY_FAILURE: "Temporary failure",
};
const PREFIX = { request: "→ ", answer: "← ", failure: "‼ ", say: "says: ", play: "plays: ", collect: "collects ", branch: "branch ", bridge: "bridge ", variables: "sets ", fallback: "fallback: " };

let call = null; // { id, call_id, next, timer, waitingKey }

async function loadCustomers() {
  const select = $("customer");
  try {
    const { customers } = await api("/dev/api/customers");
    for (const customer of customers) {
      select.append(el("option", { value: customer.slug, disabled: !customer.dialable, text: customer.dialable ? customer.slug : `${customer.slug} (token in Secrets Manager)` }));
    }
    const wanted = new URLSearchParams(location.search).get("customer");
    if (wanted && customers.some((c) => c.slug === wanted)) select.value = wanted;
  } catch (error) {
    setStatus(`Cannot list customers: ${error.message}`);
  }
}

function setStatus(text) {
  $("status").textContent = text;
}

async function dial(event) {
  event.preventDefault();
  if (call) return;
  $("events").replaceChildren();
  $("outcome").hidden = true;
  $("typed").textContent = "";
  try {
    const started = await api("/dev/api/phone/calls", {
      customer: $("customer").value,
      caller_name: $("caller-name").value,
      caller_number: $("caller-number").value,
      account_id: $("account-id").value,
    });
    call = { id: started.id, call_id: started.call_id, next: 0, timer: null, waitingKey: "" };
  } catch (error) {
    setStatus(`Not dialled: ${error.message}`);
    return;
  }
  $("dial").disabled = true;
  $("hangup").disabled = false;
  const link = $("inspect-link");
  link.href = `/dev/inspector#call=${encodeURIComponent(call.call_id)}`;
  link.hidden = false;
  setStatus(`Calling ${$("customer").value}…`);
  poll();
}

async function poll() {
  if (!call) return;
  const current = call;
  let state;
  try {
    state = await api(`/dev/api/phone/calls/${current.id}?since=${current.next}`);
  } catch (error) {
    setStatus(`Lost the call: ${error.message}`);
    finish();
    return;
  }
  for (const event of state.events) showEvent(event, state.language);
  current.next = state.next;
  showWaiting(state.waiting);
  if (state.ended) {
    showOutcome(state);
    finish();
    return;
  }
  current.timer = setTimeout(poll, POLL_MS);
}

function showEvent(event, callLanguage) {
  if (event.kind === "end") return; // the outcome card says how the call ended
  const item = el("li", { className: `event ${event.kind}` });
  item.append(el("span", { className: "kind", text: PREFIX[event.kind] || "" }), el("span", { className: "text", text: event.text }));
  if (event.kind === "say") {
    const language = bcp47(event.language || callLanguage);
    item.lang = language;
    speak(event.text, language);
  }
  if (event.kind === "play" && event.player) {
    item.append(el("audio", { controls: true, preload: "none", src: event.player }));
  } else if (event.kind === "play") {
    item.append(el("span", { className: "hint", text: " (a media id in the Kazoo account: nothing to play here)" }));
  }
  if (event.kind === "answer" && event.callflow) {
    const tree = el("details", { className: "answer-tree" }, el("summary", { text: "callflow" }), callflowTree(event.callflow, "", 0));
    item.append(tree);
  }
  $("events").append(item);
  item.scrollIntoView({ block: "nearest" });
}

function speak(text, language) {
  if (!$("speak").checked || !("speechSynthesis" in window)) return;
  const utterance = new SpeechSynthesisUtterance(text);
  utterance.lang = language;
  window.speechSynthesis.speak(utterance);
}

function showWaiting(waiting) {
  const key = waiting ? JSON.stringify(waiting) : "";
  const bridge = $("bridge");
  if (!waiting || waiting.kind !== "digits") {
    $("waiting").textContent = "Not collecting digits.";
    $("keypad").classList.remove("live");
  }
  if (!waiting || waiting.kind !== "bridge") bridge.hidden = true;
  if (!waiting || key === call.waitingKey) return;
  call.waitingKey = key;
  if (waiting.kind === "digits") {
    const ends = waiting.terminators.length ? `, or end with ${waiting.terminators.join(" ")}` : "";
    const seconds = Math.round(waiting.timeout_ms / 1000);
    $("waiting").textContent = `Waiting for up to ${waiting.max_digits} key(s)${ends}; no key within ${seconds} s is a timeout.`;
    $("keypad").classList.add("live");
    $("typed").textContent = "";
  } else if (waiting.kind === "bridge") {
    $("bridge-target").textContent = waiting.target;
    const choices = $("bridge-choices");
    choices.replaceChildren(...waiting.choices.map((choice) => {
      const button = el("button", { type: "button", "data-outcome": choice, className: choice === "answer" ? "primary" : "", text: OUTCOME_LABELS[choice] || choice });
      button.addEventListener("click", () => choose(choice));
      return button;
    }));
    bridge.hidden = false;
    choices.firstElementChild.focus();
  }
}

function showOutcome(state) {
  const outcome = $("outcome");
  outcome.className = `outcome ${state.ok ? "ok" : "bad"}`;
  outcome.replaceChildren(
    el("strong", { className: "ending", text: state.ending || "ended" }),
    el("span", { text: `: ${state.reason || ""}` }),
    el("span", { className: "verdict", text: state.ok ? " · ok" : " · FAILED" }),
  );
  outcome.hidden = false;
  setStatus(`Call ended (${state.ending}).`);
}

function finish() {
  if (call && call.timer) clearTimeout(call.timer);
  call = null;
  unsentKeys = "";
  $("dial").disabled = false;
  $("hangup").disabled = true;
  $("bridge").hidden = true;
  $("keypad").classList.remove("live");
  $("waiting").textContent = "Not collecting digits.";
}

// Keys leave one request at a time, in the order pressed: parallel requests could arrive
// out of order (a PIN of 1234 read as 1243). Keys pressed meanwhile go in the next request.
let unsentKeys = "";
let sendingKeys = false;

function press(key) {
  if (!call) return;
  $("typed").textContent += key;
  unsentKeys += key;
  sendKeys();
}

async function sendKeys() {
  if (sendingKeys || !call || !unsentKeys) return;
  sendingKeys = true;
  const keys = unsentKeys.slice(0, 32);
  unsentKeys = unsentKeys.slice(keys.length);
  try {
    await api(`/dev/api/phone/calls/${call.id}/keys`, { keys });
  } catch (error) {
    setStatus(`Keys not sent: ${error.message}`);
  } finally {
    sendingKeys = false;
  }
  sendKeys();
}

async function choose(outcome) {
  if (!call) return;
  $("bridge").hidden = true;
  await api(`/dev/api/phone/calls/${call.id}/bridge`, { outcome }).catch((error) => setStatus(`Not sent: ${error.message}`));
}

async function hangUp() {
  if (!call) return;
  await api(`/dev/api/phone/calls/${call.id}/hangup`, {}).catch(() => {});
  setStatus("Hanging up…");
}

document.addEventListener("DOMContentLoaded", () => {
  loadCustomers();
  $("dial-form").addEventListener("submit", dial);
  $("hangup").addEventListener("click", hangUp);
  for (const button of document.querySelectorAll("#keypad button")) {
    button.addEventListener("click", () => press(button.dataset.key));
  }
  document.addEventListener("keydown", (event) => {
    const target = event.target;
    const typing = target instanceof HTMLInputElement || target instanceof HTMLSelectElement;
    if (event.key === "Escape") hangUp();
    else if (!typing && !event.ctrlKey && !event.metaKey && !event.altKey && /^[0-9*#]$/.test(event.key)) {
      event.preventDefault();
      press(event.key);
    }
  });
});
