// The client (bridgekeeper.js) under node's own test runner, against a stand-in for the
// browser's runtime (stand-in-runtime.js): one-shot requests, id correlation on a port,
// per-request timeouts, cancel and disconnect.
import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, test } from "node:test";

import { standInRuntime } from "./stand-in-runtime.js";

// The client picks `browser` or `chrome` when it is loaded: the stand-in goes in first.
const runtime = standInRuntime();
globalThis.chrome = { runtime };
const { BridgekeeperError, Connection, HOST, connect, request } = await import("../bridgekeeper.js");

const ok = (id, result) => ({ id, ok: true, result });
const failed = (id, code, message = code) => ({ id, ok: false, error: { code, message } });
const tick = () => new Promise((resolve) => setImmediate(resolve));
// A request the test leaves waiting: the port's close at the end rejects it, on purpose.
const leftWaiting = (promise) => promise.catch(() => {});

// Rejects with a BridgekeeperError of `code`; returns it.
async function rejectsWith(promise, code) {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof BridgekeeperError, `not a BridgekeeperError: ${error}`);
    assert.equal(error.name, "BridgekeeperError");
    assert.equal(error.code, code, error.message);
    return error;
  }
  assert.fail(`resolved; expected a rejection with code ${code}`);
}

// The delays of the timers the client starts while `action` runs.
async function timerDelays(action) {
  const real = globalThis.setTimeout;
  const delays = [];
  globalThis.setTimeout = (fn, ms, ...rest) => {
    delays.push(ms);
    return real(fn, ms, ...rest);
  };
  try {
    await action();
  } finally {
    globalThis.setTimeout = real;
  }
  return delays;
}

beforeEach(() => {
  runtime.ports.length = 0;
  runtime.oneShot = () => {
    throw new Error("no oneShot answer set by the test");
  };
});

// A client bug must fail a test, not hang the run.
const LIMIT = { timeout: 10_000 };

describe("request() over sendNativeMessage", LIMIT, () => {
  test("resolves with the result, sent to the default host unchanged", async () => {
    const seen = [];
    runtime.oneShot = async (host, message) => {
      seen.push([host, message]);
      return ok("r1", { decision: "allow", reason: "user", remembered: false });
    };
    const message = { type: "confirm", id: "r1", title: "Delete?" };
    const result = await request(message);
    assert.deepEqual(result, { decision: "allow", reason: "user", remembered: false });
    assert.deepEqual(seen, [[HOST, message]]);
    assert.equal(HOST, "org.bridgekeeper.host");
  });

  test("goes to the host named in its options", async () => {
    const hosts = [];
    runtime.oneShot = (host) => {
      hosts.push(host);
      return ok(null, { pong: true });
    };
    await request({ type: "ping" }, { host: "org.example.other" });
    assert.deepEqual(hosts, ["org.example.other"]);
  });

  test('answers the string "ping" with "pong" (MDN ping_pong)', async () => {
    runtime.oneShot = (_host, message) => (message === "ping" ? "pong" : null);
    assert.equal(await request("ping"), "pong");
  });

  test("rejects an error reply with its code, message and the whole reply", async () => {
    const reply = failed("n", "bad_request", "field 'title' is required and must be a string");
    runtime.oneShot = async () => reply;
    const error = await rejectsWith(request({ type: "notify", id: "n" }), "bad_request");
    assert.equal(error.message, "field 'title' is required and must be a string");
    assert.deepEqual(error.reply, reply);
  });

  test("an error reply without code or message is internal", async () => {
    runtime.oneShot = async () => ({ id: null, ok: false });
    const error = await rejectsWith(request({ type: "ping" }), "internal");
    assert.equal(error.message, "");
  });

  test("the browser's failure is native_messaging with the browser's words", async () => {
    runtime.oneShot = async () => {
      throw new Error("Specified native messaging host not found.");
    };
    const error = await rejectsWith(request({ type: "ping" }), "native_messaging");
    assert.equal(error.message, "Specified native messaging host not found.");
    assert.equal(error.reply, null);
  });

  test("a call the browser refuses at once (Chromium: not an object) is native_messaging", async () => {
    runtime.oneShot = () => {
      throw new TypeError("Error in invocation of runtime.sendNativeMessage: No matching signature.");
    };
    const error = await rejectsWith(request("ping"), "native_messaging");
    assert.match(error.message, /No matching signature/);
  });

  test("no reply within the timeout rejects with code timeout", async () => {
    runtime.oneShot = () => new Promise(() => {}); // a host that never answers
    const started = performance.now();
    const error = await rejectsWith(request({ type: "ping" }, { timeout: 30 }), "timeout");
    assert.ok(performance.now() - started >= 25);
    assert.equal(error.message, "no reply within 30 ms");
  });

  test("by default no timer: Bridgekeeper's own answer ends the request", async () => {
    runtime.oneShot = async () => ok(null, {});
    assert.deepEqual(
      await timerDelays(() => request({ type: "confirm", title: "t", timeout: 5 })),
      [],
    );
    assert.deepEqual(await timerDelays(() => request({ type: "confirm", title: "t" })), []);
  });

  test("timeout 0 waits for ever: no timer at all", async () => {
    runtime.oneShot = async () => ok(null, {});
    assert.deepEqual(await timerDelays(() => request({ type: "ping" }, { timeout: 0 })), []);
  });
});

describe("connect(): a port", LIMIT, () => {
  let bk;
  let port;
  beforeEach(() => {
    bk = connect();
    [port] = runtime.ports;
  });
  afterEach(() => bk.disconnect());

  test("opens a port to the default host, or the one named", () => {
    assert.ok(bk instanceof Connection);
    assert.equal(port.host, HOST);
    const other = connect("org.example.other");
    assert.equal(runtime.ports[1].host, "org.example.other");
    other.disconnect();
  });

  test("adds ids bk-1, bk-2... and keeps the caller's own", async () => {
    leftWaiting(bk.request({ type: "ping" }));
    leftWaiting(bk.request({ type: "status" }));
    leftWaiting(bk.request({ type: "ping", id: "mine" }));
    leftWaiting(bk.request({ type: "ping", id: 42 }));
    assert.deepEqual(
      port.posted.map((m) => m.id),
      ["bk-1", "bk-2", "mine", 42],
    );
  });

  test("does not change the caller's message", () => {
    const message = { type: "ping" };
    leftWaiting(bk.request(message));
    assert.deepEqual(message, { type: "ping" });
  });

  test("matches replies to requests by id, in any order", async () => {
    const first = bk.request({ type: "confirm", title: "first" });
    const second = bk.request({ type: "prompt", title: "second", id: 7 });
    const third = bk.request({ type: "ping" });
    port.reply(ok("bk-2", { pong: true }));
    port.reply(ok(7, { decision: "submit", value: "x", reason: "user" }));
    port.reply(ok("bk-1", { decision: "deny", reason: "user", remembered: false }));
    assert.deepEqual(await third, { pong: true });
    assert.deepEqual(await second, { decision: "submit", value: "x", reason: "user" });
    assert.deepEqual(await first, { decision: "deny", reason: "user", remembered: false });
  });

  test("a string id and the same number are different requests", async () => {
    const text = bk.request({ type: "ping", id: "1" });
    const number = bk.request({ type: "ping", id: 1 });
    port.reply(ok(1, { which: "number" }));
    port.reply(ok("1", { which: "string" }));
    assert.deepEqual(await number, { which: "number" });
    assert.deepEqual(await text, { which: "string" });
  });

  test("ignores replies to no pending request", async () => {
    const waiting = bk.request({ type: "ping", id: "a" });
    port.reply(ok("nobody", { pong: true }));
    port.reply(ok("a", { pong: true }));
    port.reply(ok("a", { again: true })); // a second reply to the same id
    assert.deepEqual(await waiting, { pong: true });
  });

  test("an error reply rejects that request only", async () => {
    const bad = bk.request({ type: "confirm", id: "bad" });
    const good = bk.request({ type: "ping", id: "good" });
    port.reply(failed("bad", "bad_request", "field 'title' is required"));
    port.reply(ok("good", { pong: true }));
    const error = await rejectsWith(bad, "bad_request");
    assert.equal(error.reply.id, "bad");
    assert.deepEqual(await good, { pong: true });
  });

  test("an id already pending is refused without sending", async () => {
    leftWaiting(bk.request({ type: "ping", id: "dup" }));
    await rejectsWith(bk.request({ type: "ping", id: "dup" }), "bad_request");
    assert.equal(port.posted.length, 1);
  });

  test("timeout: rejects with code timeout and cancels the request in Bridgekeeper", async () => {
    const waiting = bk.request({ type: "confirm", id: "slow", title: "t" }, { timeout: 20 });
    const error = await rejectsWith(waiting, "timeout");
    assert.equal(error.message, "no reply within 20 ms");
    assert.deepEqual(port.posted.at(-1), { type: "cancel", target: "slow" });
    // The app's late answers (to the request, and to the cancel) go nowhere.
    port.reply(failed("slow", "cancelled"));
    port.reply(ok(null, { cancelled: true }));
    const next = bk.request({ type: "ping", id: "slow" }); // the id is free again
    port.reply(ok("slow", { pong: true }));
    assert.deepEqual(await next, { pong: true });
  });

  test("each request has its own timeout", async () => {
    const quick = bk.request({ type: "ping", id: "quick" }, { timeout: 20 });
    const patient = bk.request({ type: "ping", id: "patient" }, { timeout: 5_000 });
    await rejectsWith(quick, "timeout");
    port.reply(ok("patient", { pong: true }));
    assert.deepEqual(await patient, { pong: true });
  });

  test("by default no timer: a request waiting behind others is not given up", async () => {
    const delays = await timerDelays(async () => {
      const waiting = bk.request({ type: "choose", id: "c", title: "t", options: [], timeout: 600 });
      port.reply(ok("c", {}));
      await waiting;
    });
    assert.deepEqual(delays, []);
  });

  test("cancel(id) sends a cancel for it; the target rejects with code cancelled", async () => {
    const target = bk.request({ type: "prompt", id: "name", title: "Name?" });
    const cancelled = bk.cancel("name");
    const sent = port.lastOf("cancel");
    assert.equal(sent.target, "name");
    assert.equal(sent.id, "bk-1"); // the cancel is a request of its own
    port.reply(failed("name", "cancelled", "cancelled by the extension"));
    port.reply(ok(sent.id, { cancelled: true }));
    assert.deepEqual(await cancelled, { cancelled: true });
    const error = await rejectsWith(target, "cancelled");
    assert.equal(error.reply.error.code, "cancelled");
  });

  test("cancel has a timeout of its own (10 s)", async () => {
    const delays = await timerDelays(async () => {
      const cancelled = bk.cancel(3);
      port.reply(ok(port.lastOf("cancel").id, { cancelled: false }));
      assert.deepEqual(await cancelled, { cancelled: false });
    });
    assert.deepEqual(delays, [10_000]);
  });

  test("disconnect(): closes the port, rejects what waits, tells the listeners", async () => {
    const reasons = [];
    bk.onDisconnect((reason) => reasons.push(reason));
    const waiting = bk.request({ type: "confirm", title: "t" });
    bk.disconnect();
    assert.ok(port.disconnectedByClient);
    assert.ok(bk.closed);
    const error = await rejectsWith(waiting, "disconnected");
    assert.equal(error.message, "disconnected by the extension");
    assert.deepEqual(reasons, ["disconnected by the extension"]);
    await rejectsWith(bk.request({ type: "ping" }), "disconnected");
    bk.disconnect(); // harmless
    assert.deepEqual(reasons, ["disconnected by the extension"]);
  });

  test("a timeout after disconnect sends nothing on the closed port", async () => {
    const waiting = bk.request({ type: "ping", id: "late" }, { timeout: 20 });
    bk.disconnect();
    await rejectsWith(waiting, "disconnected");
    await new Promise((resolve) => setTimeout(resolve, 40));
    assert.equal(port.posted.length, 1);
  });

  for (const style of ["firefox", "chromium"]) {
    test(`the host exiting (${style}) rejects what waits with the browser's reason`, async () => {
      const reasons = [];
      bk.onDisconnect((reason) => reasons.push(reason));
      const waiting = bk.request({ type: "confirm", title: "t" });
      port.hostExited("Native host has exited.", { style });
      const error = await rejectsWith(waiting, "disconnected");
      assert.equal(error.message, "Native host has exited.");
      assert.deepEqual(reasons, ["Native host has exited."]);
      assert.ok(bk.closed);
      await rejectsWith(bk.request({ type: "ping" }), "disconnected");
    });
  }

  test("a port closed without a reason says so", async () => {
    const waiting = bk.request({ type: "ping" });
    for (const listener of port.disconnectListeners) {
      listener(port);
    }
    const error = await rejectsWith(waiting, "disconnected");
    assert.equal(error.message, "port closed");
  });

  test("a message the browser refuses to post is native_messaging, and not pending", async () => {
    port.refuse = new Error("Message exceeded maximum allowed size of 64MiB.");
    const error = await rejectsWith(bk.request({ type: "ping", id: "big" }), "native_messaging");
    assert.match(error.message, /64MiB/);
    port.refuse = null;
    const again = bk.request({ type: "ping", id: "big" });
    port.reply(ok("big", { pong: true }));
    assert.deepEqual(await again, { pong: true });
  });

  test("too_large without an id goes to the oldest pending request over 64 MiB", async () => {
    const small = bk.request({ type: "ping", id: "small" });
    const huge = bk.request({ type: "ping", id: "huge", padding: "x".repeat(64 * 1024 * 1024) });
    port.reply(failed(null, "too_large", "the request is over 64 MiB"));
    const error = await rejectsWith(huge, "too_large");
    assert.equal(error.reply.id, null);
    port.reply(ok("small", { pong: true }));
    assert.deepEqual(await small, { pong: true });
  });

  test("too_large without an id and no such request is dropped", async () => {
    const small = bk.request({ type: "ping", id: "small" });
    port.reply(failed(null, "too_large"));
    await tick();
    port.reply(ok("small", { pong: true }));
    assert.deepEqual(await small, { pong: true });
  });
});

test("Firefox's `browser` is used when it has connectNative", LIMIT, async () => {
  const firefox = standInRuntime();
  globalThis.browser = { runtime: firefox };
  try {
    // A second instance of the module, loaded while `browser` exists.
    const client = await import("../bridgekeeper.js?firefox");
    firefox.oneShot = async () => ok(null, { pong: true });
    assert.deepEqual(await client.request({ type: "ping" }), { pong: true });
    client.connect().disconnect();
    assert.equal(firefox.ports.length, 1);
    assert.equal(runtime.ports.length, 0);
  } finally {
    delete globalThis.browser;
  }
});
