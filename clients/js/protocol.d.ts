// Generated from bridgekeeper.schema.json by scripts/generate-types.js: do not edit.
// The types of every request and reply of Bridgekeeper's contract (SPEC 1.1, protocol 1).

/**
 * Anything an extension may send: a request, or the bare string "ping" (answered with the
 * string "pong", so MDN's ping_pong example works unchanged; Chromium's sendNativeMessage
 * accepts only objects).
 */
export type Message = "ping" | Request;

/**
 * A request: an object whose type picks one of the definitions below. An unknown type is
 * answered bad_request.
 */
export type Request =
  | PingRequest
  | StatusRequest
  | ConfirmRequest
  | ChooseRequest
  | PromptRequest
  | NotifyRequest
  | SecretGetRequest
  | SecretSetRequest
  | SecretDeleteRequest
  | CancelRequest;

/**
 * Chosen by the extension and echoed in the reply: a string of at most 128 characters, or
 * an integer.
 *
 * At most 128 characters as a string.
 */
export type RequestId = string | number;

/**
 * The dialog's or notification's title (not only spaces).
 *
 * 1–200 characters; matching /\S/.
 */
export type Title = string;

/**
 * Text shown under the title, as plain text.
 *
 * At most 4,000 characters.
 */
export type Text = string;

/**
 * Seconds the dialog stays on screen before the request is answered with reason "timeout";
 * the countdown starts when the dialog is shown.
 *
 * From 5 to 600; default 60.
 */
export type Timeout = number;

/**
 * Picks a secret inside the calling extension's own keychain service.
 *
 * 1–100 characters; matching /^[A-Za-z0-9._-]+$/.
 */
export type SecretName = string;

/**
 * One choice of a choose request.
 */
export interface Option {
  /**
   * Returned as the reply's choice; unique within the request (the app checks this).
   *
   * 1–100 characters.
   */
  id: string;
  /**
   * What the user sees (not only spaces).
   *
   * 1–200 characters; matching /\S/.
   */
  label: string;
}

/**
 * Is Bridgekeeper there? Answered at once, without a dialog.
 */
export interface PingRequest {
  type: "ping";
  /**
   * Chosen by the extension and echoed in the reply: a string of at most 128 characters,
   * or an integer.
   *
   * At most 128 characters as a string.
   */
  id?: string | number;
}

/**
 * The app's state: paused or not, how many requests wait.
 */
export interface StatusRequest {
  type: "status";
  /**
   * Chosen by the extension and echoed in the reply: a string of at most 128 characters,
   * or an integer.
   *
   * At most 128 characters as a string.
   */
  id?: string | number;
}

/**
 * Ask the user to allow or deny something, in a dialog the web page cannot see or click.
 */
export interface ConfirmRequest {
  type: "confirm";
  /**
   * Chosen by the extension and echoed in the reply: a string of at most 128 characters,
   * or an integer.
   *
   * At most 128 characters as a string.
   */
  id?: string | number;
  /**
   * The dialog's or notification's title (not only spaces).
   *
   * 1–200 characters; matching /\S/.
   */
  title: string;
  /**
   * Text shown under the title, as plain text.
   *
   * At most 4,000 characters.
   */
  message?: string;
  /**
   * Longer text, shown folded.
   *
   * At most 20,000 characters.
   */
  details?: string;
  /**
   * The URL or origin the request is about, with a scheme and a host, without spaces:
   * shown as the extension's claim, and remembered by its origin.
   *
   * At most 2,048 characters; matching /^[A-Za-z][A-Za-z0-9+.-]*://[^\s/?#]+([/?#]\S*)?$/.
   */
  site?: string;
  /**
   * An id to remember the decision by: with it, the dialog offers "Remember this
   * decision".
   *
   * 1–100 characters; matching /^[A-Za-z0-9._:-]+$/.
   */
  action?: string;
  /**
   * The Allow button's text.
   *
   * At most 40 characters.
   */
  allow_label?: string;
  /**
   * The Deny button's text.
   *
   * At most 40 characters.
   */
  deny_label?: string;
  /**
   * Seconds the dialog stays on screen before the request is answered with reason
   * "timeout"; the countdown starts when the dialog is shown.
   *
   * From 5 to 600; default 60.
   */
  timeout?: number;
  /**
   * Never remembered, never answered from memory: the dialog always shows.
   *
   * Default false.
   */
  danger?: boolean;
}

/**
 * Ask the user to pick one of 2 to 12 options.
 */
export interface ChooseRequest {
  type: "choose";
  /**
   * Chosen by the extension and echoed in the reply: a string of at most 128 characters,
   * or an integer.
   *
   * At most 128 characters as a string.
   */
  id?: string | number;
  /**
   * The dialog's or notification's title (not only spaces).
   *
   * 1–200 characters; matching /\S/.
   */
  title: string;
  /**
   * Text shown under the title, as plain text.
   *
   * At most 4,000 characters.
   */
  message?: string;
  /**
   * The choices, in the order shown; their ids unique (the app checks this).
   *
   * 2–12 items.
   */
  options: Option[];
  /**
   * The id of the option selected at first; it must be one of the options' ids (the app
   * checks this).
   */
  default?: string;
  /**
   * Seconds the dialog stays on screen before the request is answered with reason
   * "timeout"; the countdown starts when the dialog is shown.
   *
   * From 5 to 600; default 60.
   */
  timeout?: number;
}

/**
 * Ask the user to type an answer (masked when secret).
 */
export interface PromptRequest {
  type: "prompt";
  /**
   * Chosen by the extension and echoed in the reply: a string of at most 128 characters,
   * or an integer.
   *
   * At most 128 characters as a string.
   */
  id?: string | number;
  /**
   * The dialog's or notification's title (not only spaces).
   *
   * 1–200 characters; matching /\S/.
   */
  title: string;
  /**
   * Text shown under the title, as plain text.
   *
   * At most 4,000 characters.
   */
  message?: string;
  /**
   * Grey hint text in the empty input.
   *
   * At most 200 characters.
   */
  placeholder?: string;
  /**
   * The input's initial text; at most max_length characters (the app checks this).
   *
   * At most 4,096 characters.
   */
  default?: string;
  /**
   * Masked input, as for a password.
   *
   * Default false.
   */
  secret?: boolean;
  /**
   * The longest answer the user can type.
   *
   * From 1 to 4,096; an integer; default 1,024.
   */
  max_length?: number;
  /**
   * Seconds the dialog stays on screen before the request is answered with reason
   * "timeout"; the countdown starts when the dialog is shown.
   *
   * From 5 to 600; default 60.
   */
  timeout?: number;
}

/**
 * Show a tray notification, naming the extension that sent it; answered at once.
 */
export interface NotifyRequest {
  type: "notify";
  /**
   * Chosen by the extension and echoed in the reply: a string of at most 128 characters,
   * or an integer.
   *
   * At most 128 characters as a string.
   */
  id?: string | number;
  /**
   * The dialog's or notification's title (not only spaces).
   *
   * 1–200 characters; matching /\S/.
   */
  title: string;
  /**
   * Text shown under the title, as plain text.
   *
   * At most 4,000 characters.
   */
  message?: string;
}

/**
 * Read a secret of this extension from the OS keychain, after the user allows it (or a
 * remembered decision does); error not_found when there is none by that name.
 */
export interface SecretGetRequest {
  type: "secret.get";
  /**
   * Chosen by the extension and echoed in the reply: a string of at most 128 characters,
   * or an integer.
   *
   * At most 128 characters as a string.
   */
  id?: string | number;
  /**
   * Picks a secret inside the calling extension's own keychain service.
   *
   * 1–100 characters; matching /^[A-Za-z0-9._-]+$/.
   */
  name: string;
}

/**
 * Store a secret of this extension in the OS keychain, after the user allows it.
 */
export interface SecretSetRequest {
  type: "secret.set";
  /**
   * Chosen by the extension and echoed in the reply: a string of at most 128 characters,
   * or an integer.
   *
   * At most 128 characters as a string.
   */
  id?: string | number;
  /**
   * Picks a secret inside the calling extension's own keychain service.
   *
   * 1–100 characters; matching /^[A-Za-z0-9._-]+$/.
   */
  name: string;
  /**
   * The secret; never logged, never shown.
   *
   * At most 65,536 characters.
   */
  value: string;
}

/**
 * Delete a secret of this extension from the OS keychain, after the user allows it.
 */
export interface SecretDeleteRequest {
  type: "secret.delete";
  /**
   * Chosen by the extension and echoed in the reply: a string of at most 128 characters,
   * or an integer.
   *
   * At most 128 characters as a string.
   */
  id?: string | number;
  /**
   * Picks a secret inside the calling extension's own keychain service.
   *
   * 1–100 characters; matching /^[A-Za-z0-9._-]+$/.
   */
  name: string;
}

/**
 * Drop an earlier request of the same host (on a port: of the same port); its dialog
 * closes and it is answered with error cancelled.
 */
export interface CancelRequest {
  type: "cancel";
  /**
   * Chosen by the extension and echoed in the reply: a string of at most 128 characters,
   * or an integer.
   *
   * At most 128 characters as a string.
   */
  id?: string | number;
  /**
   * The id of the request to cancel.
   *
   * At most 128 characters as a string.
   */
  target: string | number;
}

/**
 * Why the request was decided so: the user answered; a remembered decision answered; the
 * dialog timed out; prompts are paused; the dialog was closed.
 */
export type Reason = "user" | "remembered" | "timeout" | "paused" | "closed";

export interface PingResult {
  pong: true;
  /**
   * The app's version.
   */
  version: string;
  /**
   * The request protocol's version.
   */
  protocol: 1;
}

export interface StatusResult {
  /**
   * The app's version.
   */
  version: string;
  /**
   * The request protocol's version.
   */
  protocol: 1;
  /**
   * Prompts are paused ("Do not disturb").
   */
  paused: boolean;
  /**
   * Requests waiting for an answer.
   *
   * At least 0; an integer.
   */
  pending: number;
}

export interface ConfirmResult {
  decision: "allow" | "deny";
  reason: Reason;
  /**
   * The decision is stored on disk: it came from a remembered one, or the user ticked
   * "Remember this decision".
   */
  remembered: boolean;
}

export interface ChooseResult {
  decision: "submit" | "cancel";
  /**
   * The chosen option's id; null unless submitted.
   */
  choice: string | null;
  reason: Reason;
}

export interface PromptResult {
  decision: "submit" | "cancel";
  /**
   * The text typed; null unless submitted.
   */
  value: string | null;
  reason: Reason;
}

export interface NotifyResult {
  /**
   * The notification was shown (false while paused, or without a notification service).
   */
  shown: boolean;
}

export interface SecretGetResult {
  decision: "allow" | "deny";
  reason: Reason;
  /**
   * The secret; null unless allowed.
   */
  value: string | null;
}

export interface SecretSetResult {
  decision: "allow" | "deny";
  reason: Reason;
}

export interface SecretDeleteResult {
  decision: "allow" | "deny";
  reason: Reason;
  /**
   * A secret by that name existed and is gone.
   */
  deleted: boolean;
}

export interface CancelResult {
  /**
   * The target was still waiting and is now answered with error cancelled.
   */
  cancelled: boolean;
}

/**
 * The request's id, echoed; null when it had none, or none that is valid.
 */
export type ReplyId = string | number | null;

/**
 * bad_request: a field out of range, missing or of the wrong type, an unknown field or
 * type, not JSON (the message names the field). too_large: a request over 64 MiB, or a
 * reply over 1 MiB. app_unavailable: the app could not be started or reached, or stopped
 * answering. untrusted_extension: this extension is not in Bridgekeeper's allowed list.
 * busy: more than 20 requests pending from this extension, or 200 in all. cancelled: a
 * cancel request, or the end of the port, dropped it. not_found: secret.get found no
 * secret by that name. keyring_unavailable: the OS keychain is missing, locked or refused.
 * internal: a bug in Bridgekeeper (see its log).
 */
export type ErrorCode =
  | "bad_request"
  | "too_large"
  | "app_unavailable"
  | "untrusted_extension"
  | "busy"
  | "cancelled"
  | "not_found"
  | "keyring_unavailable"
  | "internal";

/**
 * A failure. Its id is null when the request had no valid id (or could not be read: not
 * JSON, over 64 MiB).
 */
export interface ErrorReply {
  id: ReplyId;
  ok: false;
  error: { code: ErrorCode; message: string };
}

/**
 * Any reply: the string "pong" (to the string "ping"), a success, or an error.
 */
export type Reply =
  | "pong"
  | { id: ReplyId; ok: true; result: { [key: string]: unknown } }
  | ErrorReply;

/**
 * The reply to ping.
 */
export type PingReply = { id: ReplyId; ok: true; result: PingResult } | ErrorReply;

/**
 * The reply to status.
 */
export type StatusReply = { id: ReplyId; ok: true; result: StatusResult } | ErrorReply;

/**
 * The reply to confirm.
 */
export type ConfirmReply = { id: ReplyId; ok: true; result: ConfirmResult } | ErrorReply;

/**
 * The reply to choose.
 */
export type ChooseReply = { id: ReplyId; ok: true; result: ChooseResult } | ErrorReply;

/**
 * The reply to prompt.
 */
export type PromptReply = { id: ReplyId; ok: true; result: PromptResult } | ErrorReply;

/**
 * The reply to notify.
 */
export type NotifyReply = { id: ReplyId; ok: true; result: NotifyResult } | ErrorReply;

/**
 * The reply to secret.get.
 */
export type SecretGetReply =
  | { id: ReplyId; ok: true; result: SecretGetResult }
  | ErrorReply;

/**
 * The reply to secret.set.
 */
export type SecretSetReply =
  | { id: ReplyId; ok: true; result: SecretSetResult }
  | ErrorReply;

/**
 * The reply to secret.delete.
 */
export type SecretDeleteReply =
  | { id: ReplyId; ok: true; result: SecretDeleteResult }
  | ErrorReply;

/**
 * The reply to cancel.
 */
export type CancelReply = { id: ReplyId; ok: true; result: CancelResult } | ErrorReply;

/** Every request's `type`. */
export type RequestType = Request["type"];

/** The request of a given `type`. */
export type RequestOf<T extends RequestType> = Extract<Request, { type: T }>;

/** The `result` of a successful reply, by request type. */
export interface Results {
  "ping": PingResult;
  "status": StatusResult;
  "confirm": ConfirmResult;
  "choose": ChooseResult;
  "prompt": PromptResult;
  "notify": NotifyResult;
  "secret.get": SecretGetResult;
  "secret.set": SecretSetResult;
  "secret.delete": SecretDeleteResult;
  "cancel": CancelResult;
}

/** The result of a request of type `T`. */
export type ResultOf<T extends RequestType> = Results[T];

/** The whole reply (success or error), by request type. */
export interface Replies {
  "ping": PingReply;
  "status": StatusReply;
  "confirm": ConfirmReply;
  "choose": ChooseReply;
  "prompt": PromptReply;
  "notify": NotifyReply;
  "secret.get": SecretGetReply;
  "secret.set": SecretSetReply;
  "secret.delete": SecretDeleteReply;
  "cancel": CancelReply;
}

/** The reply to a request of type `T`. */
export type ReplyOf<T extends RequestType> = Replies[T];
