// A consumer that must type-check under `tsc --strict`: every request type, its result
// type, the port, and the errors, as an extension author writes them.
import {
  BridgekeeperError,
  connect,
  HOST,
  request,
  type ChooseResult,
  type ClientErrorCode,
  type ConfirmRequest,
  type ConfirmResult,
  type ErrorReply,
  type Message,
  type Reply,
  type Request,
  type RequestOf,
  type ResultOf,
} from "bridgekeeper-client";
import schema from "bridgekeeper-client/schema.json" with { type: "json" };

// The two types are the same (not merely assignable).
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function same<A, B>(_proof: Equal<A, B>): void {}

export async function everyType(): Promise<void> {
  const host: "org.bridgekeeper.host" = HOST;
  void host;

  const pong = await request({ type: "ping" });
  same<typeof pong.pong, true>(true);
  same<typeof pong.protocol, 1>(true);
  const status = await request({ type: "status", id: 1 });
  same<typeof status.pending, number>(true);

  const confirmed = await request({
    type: "confirm",
    id: "r1",
    title: "Delete 3 bookmarks?",
    message: "They go to the bin.",
    details: "a\nb\nc",
    site: "https://example.org",
    action: "delete-bookmarks",
    allow_label: "Delete",
    deny_label: "Keep",
    timeout: 30,
    danger: true,
  });
  same<typeof confirmed, ConfirmResult>(true);
  if (confirmed.decision === "allow" && confirmed.reason === "user") {
    same<typeof confirmed.remembered, boolean>(true);
  }

  const chosen = await request(
    {
      type: "choose",
      title: "Which account?",
      options: [
        { id: "work", label: "Work" },
        { id: "home", label: "Home" },
      ],
      default: "work",
    },
    { timeout: 0, host: "org.bridgekeeper.host" },
  );
  same<typeof chosen, ChooseResult>(true);
  same<typeof chosen.choice, string | null>(true);

  const typed = await request({ type: "prompt", title: "Name", secret: false, max_length: 100 });
  same<typeof typed.value, string | null>(true);
  const shown = await request({ type: "notify", title: "Done" });
  same<typeof shown.shown, boolean>(true);

  const token = await request({ type: "secret.get", name: "api-token" });
  same<typeof token.value, string | null>(true);
  const stored = await request({ type: "secret.set", name: "api-token", value: "s3cret" });
  same<typeof stored.decision, "allow" | "deny">(true);
  const deleted = await request({ type: "secret.delete", name: "api-token" });
  same<typeof deleted.deleted, boolean>(true);

  // MDN's ping_pong (Firefox).
  const bare = await request("ping");
  same<typeof bare, "pong">(true);
}

// A request built ahead of time keeps its type with `satisfies` (or a type annotation).
export async function prepared(): Promise<void> {
  const ask = { type: "confirm", title: "Sign in?" } satisfies ConfirmRequest;
  same<Awaited<ReturnType<typeof request<typeof ask.type>>>, ConfirmResult>(true);
  const result = await request(ask);
  same<typeof result, ConfirmResult>(true);

  // A request whose type is known only at run time gets the union of its results.
  const any: Request = Math.random() > 0.5 ? { type: "ping" } : { type: "notify", title: "Hi" };
  const either = await request(any);
  same<typeof either, ResultOf<"ping"> | ResultOf<"notify">>(true);
  void either;

  const generic = <T extends "confirm" | "prompt">(message: RequestOf<T>) => request(message);
  void generic;
  const message: Message = "ping";
  void message;
}

export async function onAPort(): Promise<void> {
  const bk = connect();
  bk.onDisconnect((reason: string) => console.log(reason));
  const pending = bk.request({ type: "prompt", id: "name", title: "Name?" }, { timeout: 30_000 });
  const cancelled = await bk.cancel("name");
  same<typeof cancelled, { cancelled: boolean }>(true);
  try {
    const answer = await pending;
    same<typeof answer.decision, "submit" | "cancel">(true);
  } catch (error) {
    if (error instanceof BridgekeeperError) {
      const code: ClientErrorCode = error.code;
      switch (code) {
        case "cancelled":
        case "timeout":
        case "disconnected":
        case "native_messaging":
        case "untrusted_extension":
          break;
        default:
          break;
      }
      const reply: ErrorReply | null = error.reply;
      if (reply) {
        same<typeof reply.ok, false>(true);
      }
    }
  }
  await bk.request({ type: "cancel", target: 7 });
  if (!bk.closed) {
    bk.disconnect();
  }
}

// The raw API's replies, typed for code that uses runtime.sendNativeMessage directly.
export function raw(reply: Reply): string {
  if (reply === "pong") {
    return reply;
  }
  return reply.ok ? JSON.stringify(reply.result) : reply.error.code;
}

// The schema ships in the package.
export const schemaId: string = schema.$id;
