// Test build only: long-polls the test's 127.0.0.1 server for commands, runs each with the
// client package the demo uses (vendor/bridgekeeper.js) or the raw API, and posts the
// outcome back.
import { BridgekeeperError, HOST, connect, request } from "./vendor/bridgekeeper.js";
import { SERVER } from "./config.js";

const api = globalThis.browser?.runtime?.connectNative ? globalThis.browser : globalThis.chrome;
const ports = new Map();

function failure(error) {
  if (error instanceof BridgekeeperError) {
    return { error: { code: error.code, message: error.message, reply: error.reply } };
  }
  return { error: { code: "exception", message: String(error?.message ?? error) } };
}

async function attempt(action) {
  try {
    return { value: await action() };
  } catch (error) {
    return failure(error);
  }
}

function padded(size) {
  return { type: "ping", id: "big", padding: "x".repeat(size) };
}

// One port round trip at a time, raw API (for the benchmark's echo host comparison).
function rawPortRoundTrips(host, message, count) {
  // The clock starts at the first reply: the host has started and connected by then, so
  // the rate is the steady one, whatever each host's start-up costs.
  return new Promise((resolve, reject) => {
    const port = api.runtime.connectNative(host);
    let done = -1;
    let started = 0;
    port.onDisconnect.addListener(() => reject(new Error("port closed after " + done)));
    port.onMessage.addListener(() => {
      done += 1;
      if (done === 0) {
        started = performance.now();
      }
      if (done === count) {
        const elapsed = performance.now() - started;
        port.disconnect();
        resolve({ count, elapsed_ms: elapsed });
      } else {
        port.postMessage(message);
      }
    });
    port.postMessage(message);
  });
}

// The demo page itself, in a same-origin frame: its cards, clicked like a user would.
let demo = null;
async function demoDocument() {
  if (!demo) {
    const frame = document.createElement("iframe");
    frame.src = "demo.html";
    frame.style.cssText = "border: 0; width: 100%; height: 3000px";
    const loaded = new Promise((resolve) => frame.addEventListener("load", resolve));
    document.body.append(frame);
    await loaded;
    demo = frame.contentDocument;
  }
  return demo;
}

async function clickDemo({ card, button, edit }) {
  const doc = await demoDocument();
  const section = [...doc.querySelectorAll("section")].find(
    (s) => s.querySelector("h2").textContent === card,
  );
  if (edit) {
    section.querySelector("textarea").value = JSON.stringify(edit);
  }
  const output = section.querySelector("pre");
  output.textContent = "";
  [...section.querySelectorAll("button")].find((b) => b.textContent === button).click();
  const deadline = performance.now() + 30000;
  while (!output.textContent || output.textContent.startsWith("waiting")) {
    if (performance.now() > deadline) {
      throw new Error(`no reply shown in the ${card} card`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return { text: output.textContent, ok: output.className === "ok" };
}

const ops = {
  async "demo.cards"() {
    const doc = await demoDocument();
    return { value: [...doc.querySelectorAll("section h2")].map((h) => h.textContent) };
  },
  async "demo.disconnect"() {
    const doc = await demoDocument();
    doc.getElementById("port-disconnect").click();
    return { value: doc.getElementById("port-state").textContent };
  },
  // A PNG (data URL) of what the tab shows, scrolled to the demo's `card`.
  async "demo.screenshot"({ card }) {
    const doc = await demoDocument();
    const section = [...doc.querySelectorAll("section")].find(
      (s) => s.querySelector("h2").textContent === card,
    );
    window.scrollTo(0, section.getBoundingClientRect().top - 20);
    await new Promise((resolve) => setTimeout(resolve, 200));
    return attempt(() => api.tabs.captureVisibleTab({ format: "png" }));
  },
  async "demo.click"(command) {
    return attempt(() => clickDemo(command));
  },
  async info() {
    const info = api.runtime.getBrowserInfo ? await api.runtime.getBrowserInfo() : null;
    return { value: { id: api.runtime.id, firefox: info !== null, info } };
  },
  // The MDN ping_pong example, unchanged: the raw API with any JSON value.
  async raw({ message, host }) {
    return attempt(() => api.runtime.sendNativeMessage(host ?? HOST, message));
  },
  async request({ message, timeout }) {
    return attempt(() => request(message, { timeout }));
  },
  async big({ size }) {
    return attempt(() => request(padded(size), { timeout: 60000 }));
  },
  async connect({ port }) {
    const connection = connect();
    connection.onDisconnect((why) => {
      connection.why = why;
    });
    ports.set(port, connection);
    return { value: true };
  },
  async "port.request"({ port, message, timeout }) {
    return attempt(() => ports.get(port).request(message, { timeout }));
  },
  async "port.big"({ port, size }) {
    return attempt(() => ports.get(port).request(padded(size), { timeout: 60000 }));
  },
  async "port.cancel"({ port, target }) {
    return attempt(() => ports.get(port).cancel(target));
  },
  async "port.disconnect"({ port }) {
    ports.get(port).disconnect();
    ports.delete(port);
    return { value: true };
  },
  async "port.state"({ port }) {
    const connection = ports.get(port);
    return { value: { closed: connection.closed, why: connection.why ?? null } };
  },
  // Sequential pings on one port through the client module; every reply must carry the
  // id of the request it answers, in order.
  async "port.pings"({ port, count }) {
    const connection = ports.get(port);
    const arrived = [];
    connection.port.onMessage.addListener((reply) => arrived.push(reply?.id));
    const started = performance.now();
    const ids = [];
    for (let i = 0; i < count; i += 1) {
      const result = await connection.request({ type: "ping", id: i }, { timeout: 10000 }).catch(
        (error) => ({ failed: failure(error) }),
      );
      if (result.failed || result.pong !== true) {
        return { error: { code: "ping_failed", message: `ping ${i}`, reply: result } };
      }
      ids.push(i);
    }
    const elapsed = performance.now() - started;
    return { value: { count: ids.length, arrived, elapsed_ms: elapsed } };
  },
  async "bench.oneshot"({ host, message, runs }) {
    const times = [];
    for (let i = 0; i < runs; i += 1) {
      const started = performance.now();
      await api.runtime.sendNativeMessage(host, message);
      times.push(performance.now() - started);
    }
    return { value: times };
  },
  async "bench.port"({ host, message, count }) {
    return attempt(() => rawPortRoundTrips(host, message, count));
  },
};

async function run(command) {
  let outcome;
  try {
    const op = ops[command.op];
    outcome = op ? await op(command) : { error: { code: "exception", message: `no op ${command.op}` } };
  } catch (error) {
    outcome = failure(error);
  }
  await fetch(`${SERVER}/result/${command.seq}`, { method: "POST", body: JSON.stringify(outcome) });
}

async function poll() {
  for (;;) {
    try {
      const commands = await (await fetch(`${SERVER}/next`)).json();
      for (const command of commands) {
        run(command);
      }
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

poll();
