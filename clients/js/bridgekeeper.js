// Bridgekeeper client for WebExtensions: the npm package bridgekeeper-client (an ES module,
// no dependencies; types in bridgekeeper.d.ts). Works in Chromium-family browsers and
// Firefox (MV3 or MV2), in pages, service workers and background scripts; needs the
// "nativeMessaging" permission. Documentation: README.md beside it.

export const HOST = "org.bridgekeeper.host";

// The host refuses a frame over 64 MiB unread, so its `too_large` reply cannot carry the
// request's id; the port matches it to the oldest pending request that big.
const MAX_REQUEST_BYTES = 64 * 1024 * 1024;

const api = globalThis.browser?.runtime?.connectNative ? globalThis.browser : globalThis.chrome;

/** A failure: `code` is a Bridgekeeper error code (see SPEC), or "timeout" (no reply in
 * time), "disconnected" (the port closed first), "native_messaging" (the browser could
 * not reach the host: not installed, extension not allowed, host crashed). */
export class BridgekeeperError extends Error {
  constructor(code, message, reply = null) {
    super(message);
    this.name = "BridgekeeperError";
    this.code = code;
    this.reply = reply; // the full error reply from Bridgekeeper, when there was one
  }
}

// No client timer unless asked for: Bridgekeeper answers every request exactly once (a
// prompt at the end of its own countdown, which starts only when its dialog is shown, so
// one waiting behind others may take longer than its `timeout`; a hung app within 10 s).
const DEFAULT_TIMEOUT_MS = 0;

function unwrap(reply) {
  if (reply === null || typeof reply !== "object" || !("ok" in reply)) {
    return reply; // the MDN example: "ping" is answered with "pong"
  }
  if (reply.ok) {
    return reply.result;
  }
  const error = reply.error ?? {};
  throw new BridgekeeperError(error.code ?? "internal", error.message ?? "", reply);
}

function isOversize(message) {
  const text = JSON.stringify(message);
  // A UTF-16 unit takes 1 to 3 bytes in UTF-8: encode only when it could matter.
  return text.length * 3 > MAX_REQUEST_BYTES && new TextEncoder().encode(text).length > MAX_REQUEST_BYTES;
}

function withTimeout(promise, ms, onTimeout) {
  if (!ms) {
    return promise;
  }
  let timer;
  const expired = new Promise((_, reject) => {
    timer = setTimeout(() => {
      onTimeout?.();
      reject(new BridgekeeperError("timeout", `no reply within ${ms} ms`));
    }, ms);
  });
  return Promise.race([promise, expired]).finally(() => clearTimeout(timer));
}

/** One request over `runtime.sendNativeMessage` (a new host process per call).
 * Resolves with the reply's `result`; rejects with a BridgekeeperError. */
export async function request(message, { host = HOST, timeout } = {}) {
  let sent;
  try {
    sent = Promise.resolve(api.runtime.sendNativeMessage(host, message));
  } catch (error) {
    // Chromium throws at once for a message that is not an object.
    throw new BridgekeeperError("native_messaging", String(error?.message ?? error));
  }
  const reply = await withTimeout(
    sent.catch((error) => {
      throw new BridgekeeperError("native_messaging", String(error?.message ?? error));
    }),
    timeout ?? DEFAULT_TIMEOUT_MS,
  );
  return unwrap(reply);
}

/** A long-lived port (`runtime.connectNative`): one host process serves every request.
 * Replies are matched to requests by `id`; each request has its own timeout. */
export class Connection {
  constructor(host = HOST) {
    this.pending = new Map(); // id -> {resolve, reject}
    this.nextId = 1;
    this.closed = false;
    this.disconnectListeners = [];
    this.port = api.runtime.connectNative(host);
    this.port.onMessage.addListener((reply) => this.#onReply(reply));
    this.port.onDisconnect.addListener((port) => {
      const why = port?.error?.message ?? api.runtime.lastError?.message ?? "port closed";
      this.#close(why);
    });
  }

  /** Send `message` (an `id` is added when absent); resolves with the `result`.
   * `timeout` in ms (default 0: no timer, Bridgekeeper's own answer ends it); on expiry
   * the request is cancelled in Bridgekeeper and the promise rejects with code "timeout". */
  request(message, { timeout } = {}) {
    if (this.closed) {
      return Promise.reject(new BridgekeeperError("disconnected", "the port is closed"));
    }
    const id = message.id ?? `bk-${this.nextId++}`;
    if (this.pending.has(id)) {
      return Promise.reject(new BridgekeeperError("bad_request", `id ${id} is already pending`));
    }
    const full = { ...message, id };
    const answered = new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, oversize: isOversize(full) });
    });
    try {
      this.port.postMessage(full);
    } catch (error) {
      // Chromium refuses a message over 64 MiB itself, at once.
      this.pending.delete(id);
      return Promise.reject(
        new BridgekeeperError("native_messaging", String(error?.message ?? error)),
      );
    }
    return withTimeout(answered, timeout ?? DEFAULT_TIMEOUT_MS, () => {
      this.pending.delete(id);
      this.#send({ type: "cancel", target: id });
    });
  }

  /** Ask Bridgekeeper to drop request `id` (its dialog closes); that request's promise
   * rejects with code "cancelled". Resolves with `{cancelled: bool}`. */
  cancel(id) {
    return this.request({ type: "cancel", target: id }, { timeout: 10000 });
  }

  /** Close the port: the host exits and Bridgekeeper closes this port's dialogs. */
  disconnect() {
    if (!this.closed) {
      this.port.disconnect();
      this.#close("disconnected by the extension");
    }
  }

  onDisconnect(listener) {
    this.disconnectListeners.push(listener);
  }

  #send(message) {
    if (!this.closed) {
      this.port.postMessage(message);
    }
  }

  #onReply(reply) {
    let id = reply?.id;
    if (id === null && reply?.error?.code === "too_large") {
      id = [...this.pending.entries()].find(([, waiter]) => waiter.oversize)?.[0];
    }
    const waiter = this.pending.get(id);
    if (!waiter) {
      return; // a reply to a request that already timed out
    }
    this.pending.delete(id);
    try {
      waiter.resolve(unwrap(reply));
    } catch (error) {
      waiter.reject(error);
    }
  }

  #close(why) {
    if (this.closed) {
      return;
    }
    this.closed = true;
    for (const { reject } of this.pending.values()) {
      reject(new BridgekeeperError("disconnected", why));
    }
    this.pending.clear();
    for (const listener of this.disconnectListeners) {
      listener(why);
    }
  }
}

export function connect(host = HOST) {
  return new Connection(host);
}
