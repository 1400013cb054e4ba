// Types of bridgekeeper.js, the client. The requests, results and replies themselves are
// in protocol.d.ts, generated from the JSON Schema (bridgekeeper.schema.json).

import type {
  CancelResult,
  ErrorCode,
  ErrorReply,
  RequestId,
  RequestOf,
  RequestType,
  Results,
} from "./protocol.js";

export * from "./protocol.js";

/** The native messaging host's name: `org.bridgekeeper.host`. */
export const HOST: "org.bridgekeeper.host";

/**
 * Every `code` a {@link BridgekeeperError} can have: Bridgekeeper's own error codes, and
 * the client's:
 * - `timeout`: no reply within the request's timeout (on a port, a `cancel` was sent);
 * - `disconnected`: the port closed before the reply came;
 * - `native_messaging`: the browser could not reach the host (not installed, extension not
 *   allowed, host crashed) or refused the message; the message is the browser's own.
 */
export type ClientErrorCode = ErrorCode | "timeout" | "disconnected" | "native_messaging";

/** A request that failed: Bridgekeeper's error reply, or the client's own failure. */
export class BridgekeeperError extends Error {
  constructor(code: ClientErrorCode, message: string, reply?: ErrorReply | null);
  readonly name: "BridgekeeperError";
  readonly code: ClientErrorCode;
  /** The full error reply when Bridgekeeper sent one; else null. */
  readonly reply: ErrorReply | null;
}

/** Options of one request. */
export type RequestOptions = {
  /**
   * Milliseconds to wait for the reply; 0 (the default) waits for Bridgekeeper's answer,
   * which always comes: a prompt's own countdown starts when its dialog is shown, so one
   * waiting behind others may take longer than its `timeout` seconds.
   */
  timeout?: number;
};

export type OneShotOptions = RequestOptions & {
  /** The native host's name; default {@link HOST}. */
  host?: string;
};

/**
 * One request over `runtime.sendNativeMessage` (a new host process per call). Resolves with
 * the reply's `result`, typed by the request's `type`; rejects with a
 * {@link BridgekeeperError}.
 */
export function request<T extends RequestType>(
  message: RequestOf<T>,
  options?: OneShotOptions,
): Promise<Results[T]>;
/** MDN's ping_pong: the string "ping" is answered "pong" (Firefox only: Chromium's
 * `sendNativeMessage` takes objects only, and rejects with code `native_messaging`). */
export function request(message: "ping", options?: OneShotOptions): Promise<"pong">;

/** The part of a `runtime.Port` the client uses. */
export interface NativePort {
  postMessage(message: unknown): void;
  disconnect(): void;
  onMessage: { addListener(listener: (message: any) => void): void };
  onDisconnect: { addListener(listener: (port: any) => void): void };
}

/**
 * A long-lived port (`runtime.connectNative`): one host process serves every request on
 * it. Replies are matched to requests by `id`; each request has its own timeout.
 */
export class Connection {
  constructor(host?: string);
  /** True once the port closed (by either side). */
  readonly closed: boolean;
  /** The browser's port. */
  readonly port: NativePort;
  /**
   * Send `message` (an `id` is added when absent: `bk-1`, `bk-2`...); resolves with the
   * reply's `result`. On timeout the request is cancelled in Bridgekeeper (its dialog
   * closes) and the promise rejects with code `timeout`.
   */
  request<T extends RequestType>(message: RequestOf<T>, options?: RequestOptions): Promise<Results[T]>;
  /**
   * Ask Bridgekeeper to drop request `id` of this port (its dialog closes): that request
   * rejects with code `cancelled`. Resolves with `{cancelled}`: false when it was no longer
   * waiting.
   */
  cancel(id: RequestId): Promise<CancelResult>;
  /** Close the port: the host exits and Bridgekeeper closes this port's dialogs. Pending
   * requests reject with code `disconnected`. */
  disconnect(): void;
  /** Called once when the port closes, with the reason. */
  onDisconnect(listener: (reason: string) => void): void;
}

/** Open a {@link Connection} to the host (default {@link HOST}). */
export function connect(host?: string): Connection;
