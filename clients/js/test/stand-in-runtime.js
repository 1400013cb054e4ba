// A stand-in for the browser's `runtime.connectNative` and `runtime.sendNativeMessage`:
// node has no browser, so the client's tests drive this instead (the real browsers run the
// client in tests/test_browsers.py). It behaves as the browsers do where the client
// depends on it: `port.disconnect()` does not fire the port's own onDisconnect; a port the
// other side closed fires it once, with `port.error` (Firefox) or `runtime.lastError`
// (Chromium); posting on a closed port throws.

export class StandInPort {
  constructor(runtime, host) {
    this.runtime = runtime;
    this.host = host;
    this.posted = []; // every message the client posted, in order
    this.disconnectedByClient = false;
    this.closed = false;
    this.error = null;
    this.refuse = null; // an Error postMessage throws (Chromium's 64 MiB limit)
    this.messageListeners = [];
    this.disconnectListeners = [];
    this.onMessage = { addListener: (listener) => this.messageListeners.push(listener) };
    this.onDisconnect = { addListener: (listener) => this.disconnectListeners.push(listener) };
  }

  postMessage(message) {
    if (this.closed) {
      throw new Error("Attempting to use a disconnected port object");
    }
    if (this.refuse) {
      throw this.refuse;
    }
    // The browser serialises the message: later changes by the caller do not travel.
    this.posted.push(JSON.parse(JSON.stringify(message)));
  }

  disconnect() {
    this.disconnectedByClient = true;
    this.closed = true;
  }

  // -- what the test does as the host's side --

  /** The host sends `reply` (any JSON value). */
  reply(reply) {
    for (const listener of this.messageListeners) {
      listener(JSON.parse(JSON.stringify(reply)));
    }
  }

  /** The host exits: the port closes with `message`, the Firefox or the Chromium way. */
  hostExited(message, { style = "firefox" } = {}) {
    this.closed = true;
    if (style === "firefox") {
      this.error = { message };
    } else {
      this.runtime.lastError = { message };
    }
    for (const listener of this.disconnectListeners) {
      listener(this);
    }
    this.runtime.lastError = undefined;
  }

  /** The last message posted that is a request of `type`. */
  lastOf(type) {
    return this.posted.findLast((message) => message?.type === type);
  }
}

/** A `runtime` with the two native messaging calls. `oneShot(host, message)` answers
 * `sendNativeMessage` (return a value or a promise, or throw), set per test. */
export function standInRuntime() {
  const runtime = {
    ports: [],
    lastError: undefined,
    oneShot: () => {
      throw new Error("no oneShot answer set by the test");
    },
    connectNative(host) {
      const port = new StandInPort(runtime, host);
      runtime.ports.push(port);
      return port;
    },
    sendNativeMessage(host, message) {
      return runtime.oneShot(host, JSON.parse(JSON.stringify(message)));
    },
  };
  return runtime;
}
