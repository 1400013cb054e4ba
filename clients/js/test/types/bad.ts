// A consumer that must NOT type-check: each line marked `// error` is a mistake `tsc
// --strict` must report, on that line, and no other line may have one
// (tests/test_client_package.py compares the two).
import { connect, request, type ClientErrorCode, type Request } from "bridgekeeper-client";

export async function mistakes(): Promise<void> {
  await request({ type: "confirm", title: "Delete?", mesage: "typo" }); // error
  await request({ type: "confirm", message: "no title" }); // error
  await request({ type: "confirn", title: "Delete?" }); // error
  await request({ type: "confirm", title: 5 }); // error
  await request({ type: "confirm", title: "Delete?", timeout: "30" }); // error
  await request({ type: "confirm", title: "Delete?", danger: "yes" }); // error
  await request({ type: "choose", title: "Which?", options: [{ id: "a" }, { id: "b", label: "B" }] }); // error
  await request({ type: "choose", title: "Which?" }); // error
  await request({ type: "prompt", title: "Name?", secret: 1 }); // error
  await request({ type: "notify", title: "Hi", options: [] }); // error
  await request({ type: "secret.set", name: "token" }); // error
  await request({ type: "secret.get", key: "token" }); // error
  await request({ type: "cancel", target: true }); // error
  await request({ type: "ping", id: false }); // error
  await request("pong"); // error
  await request({ title: "no type" }); // error

  const pong = await request({ type: "ping" });
  console.log(pong.decision); // error
  const confirmed = await request({ type: "confirm", title: "Delete?" });
  if (confirmed.decision === "submit") { // error
    console.log(confirmed.value); // error
  }
  const chosen = await request({ type: "choose", title: "Which?", options: [{ id: "a", label: "A" }, { id: "b", label: "B" }] });
  const choice: string = chosen.choice; // error
  void choice;

  const code: ClientErrorCode = "canceled"; // error
  void code;
  const loose = { type: "confirm", title: "Delete?" };
  await request(loose); // error
  const built: Request = { type: "status", title: "no fields" }; // error
  void built;

  const bk = connect();
  await bk.request({ type: "prompt", title: "Name?", placeholdr: "typo" }); // error
  await bk.cancel({ id: "name" }); // error
  bk.onDisconnect((reason: number) => reason); // error
}
