// The demo page: one card per request type, each sendable one-shot or on the port, with
// the reply (or error) shown in full.
// The client is the npm package bridgekeeper-client (clients/js in the repository), put in
// vendor/ as an extension's build step would: ./dev, packaging/build and the test build run
// clients/js/scripts/copy-into-extension (see there why a copy, and not committed).
import { BridgekeeperError, connect, request } from "./vendor/bridgekeeper.js";

const EXAMPLES = [
  ["ping", { type: "ping" }],
  ["status", { type: "status" }],
  ["confirm", {
    type: "confirm", title: "Sign in to example.org?",
    message: "The demo extension wants to sign you in.", site: "https://example.org",
    action: "demo.sign-in", allow_label: "Sign in", deny_label: "Not now", timeout: 60,
  }],
  ["choose", {
    type: "choose", title: "Which account?", message: "Pick the account to use.",
    options: [{ id: "work", label: "Work" }, { id: "home", label: "Home" }], default: "work",
  }],
  ["prompt", {
    type: "prompt", title: "Your name", message: "How should the demo call you?",
    placeholder: "Name", max_length: 100,
  }],
  ["notify", { type: "notify", title: "Hello", message: "A notification from the demo." }],
  ["secret.set", { type: "secret.set", name: "demo-token", value: "s3cret" }],
  ["secret.get", { type: "secret.get", name: "demo-token" }],
  ["secret.delete", { type: "secret.delete", name: "demo-token" }],
  ["cancel", { type: "cancel", target: "" }],
];

let port = null;
let lastPortId = null;
const portState = document.getElementById("port-state");
const connectButton = document.getElementById("port-connect");
const disconnectButton = document.getElementById("port-disconnect");

function show(output, ok, value) {
  output.className = ok ? "ok" : "failed";
  output.textContent = typeof value === "string" ? value : JSON.stringify(value, null, 2);
}

function describe(error) {
  if (error instanceof BridgekeeperError) {
    // The full error reply when Bridgekeeper sent one; else what the browser said.
    return error.reply ?? { ok: false, error: { code: error.code, message: error.message } };
  }
  return String(error?.message ?? error);
}

function setPort(connection) {
  port = connection;
  portState.textContent = port ? "connected" : "not connected";
  connectButton.disabled = Boolean(port);
  disconnectButton.disabled = !port;
}

connectButton.addEventListener("click", () => {
  const connection = connect();
  connection.onDisconnect((why) => {
    if (port === connection) {
      setPort(null);
      portState.textContent = `closed: ${why}`;
    }
  });
  setPort(connection);
});
disconnectButton.addEventListener("click", () => port?.disconnect());

async function send(editor, output, onPort) {
  let message;
  try {
    message = JSON.parse(editor.value);
  } catch (error) {
    show(output, false, `not JSON: ${error.message}`);
    return;
  }
  if (onPort && !port) {
    connectButton.click();
  }
  if (onPort && message.type === "cancel" && !message.target && lastPortId) {
    message.target = lastPortId; // cancel the last request sent on the port
  }
  if (onPort && message.id === undefined && message.type !== "cancel") {
    message.id = `demo-${Date.now()}`;
    lastPortId = message.id;
  }
  show(output, true, onPort ? `waiting for the reply to ${message.id ?? "cancel"}…` : "waiting…");
  try {
    const result = onPort ? await port.request(message) : await request(message);
    show(output, true, { id: message.id ?? null, ok: true, result });
  } catch (error) {
    show(output, false, describe(error));
  }
}

const main = document.getElementById("requests");
for (const [type, example] of EXAMPLES) {
  const section = document.createElement("section");
  const heading = document.createElement("h2");
  heading.textContent = type;
  const editor = document.createElement("textarea");
  editor.rows = Math.min(14, JSON.stringify(example, null, 2).split("\n").length + 1);
  editor.value = JSON.stringify(example, null, 2);
  editor.setAttribute("aria-label", `${type} request`);
  const once = document.createElement("button");
  once.textContent = "Send once";
  const onPort = document.createElement("button");
  onPort.textContent = "Send on port";
  const output = document.createElement("pre");
  output.setAttribute("aria-live", "polite");
  once.addEventListener("click", () => send(editor, output, false));
  onPort.addEventListener("click", () => send(editor, output, true));
  if (type === "cancel") {
    once.disabled = true; // a cancel reaches only requests of the same host: the port's
    once.title = "cancel works on the port only: it targets a request of the same host";
  }
  section.append(heading, editor, once, onPort, output);
  main.append(section);
}
