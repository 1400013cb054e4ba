"""Smoke test of a built bundle on any platform (the release workflow runs it on Windows
and macOS; on Linux tests/bundle/test_bundle.py does much more).

    python packaging/smoke.py FOLDER   (the folder holding bridgekeeper and bridgekeeper-host)

``bridgekeeper install`` must write a manifest naming the bundled host; the host is then
sent a framed ``ping`` the way a browser sends it. Where the host can reach
the app (Linux, macOS) the bundled app is started first and the reply must be ``ok``;
the Windows host has no transport to the app yet, so there the reply must be the
``app_unavailable`` error, which still proves the frozen host starts and speaks frames.
Standard library only.
"""

from __future__ import annotations

import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HEADER = struct.Struct("=I")
CALLER = "chrome-extension://jkdnicfhmapgokpkghnoknfplbgkmjan/"


def executable(folder: Path, name: str) -> Path:
    path = folder / (f"{name}.exe" if sys.platform == "win32" else name)
    if not path.is_file():
        raise SystemExit(f"smoke: {path} is missing")
    return path


def ping(host: Path, env: dict[str, str]) -> object:
    payload = json.dumps({"type": "ping", "id": 1}).encode()
    done = subprocess.run(
        [str(host), CALLER],
        input=HEADER.pack(len(payload)) + payload,
        env=env,
        capture_output=True,
        timeout=60,
        check=False,
    )
    if len(done.stdout) < HEADER.size:
        raise SystemExit(f"smoke: no reply from the host; stderr:\n{done.stderr.decode()}")
    (length,) = HEADER.unpack(done.stdout[: HEADER.size])
    return json.loads(done.stdout[HEADER.size : HEADER.size + length])


def main() -> int:
    folder = Path(sys.argv[1]).resolve()
    app, host = executable(folder, "bridgekeeper"), executable(folder, "bridgekeeper-host")
    root = Path(tempfile.mkdtemp(prefix="bk"))
    env = dict(
        os.environ,
        BRIDGEKEEPER_HOME=str(root / "bk"),
        HOME=str(root),
        USERPROFILE=str(root),
        QT_QPA_PLATFORM="offscreen",
    )
    env.pop("BRIDGEKEEPER_APP_COMMAND", None)
    process = None
    try:
        if sys.platform == "win32":
            reply = ping(host, env)
            print(f"smoke: host reply {reply}")
            ok = isinstance(reply, dict) and reply.get("error", {}).get("code") == "app_unavailable"
        else:
            # As a user would: allow the extension (written to a profile folder, so no
            # browser needs to be installed); the manifest must name the bundled host.
            profile = root / "profile"
            subprocess.run(
                [
                    str(app),
                    "install",
                    "--browser",
                    "chromium",
                    "--user-data-dir",
                    str(profile),
                    "--extension",
                    CALLER,
                ],
                env=env,
                check=True,
                timeout=60,
            )
            manifest = profile / "NativeMessagingHosts" / "org.bridgekeeper.host.json"
            named = Path(json.loads(manifest.read_text())["path"])
            if named.resolve() != host.resolve():
                raise SystemExit(f"smoke: the manifest names {named}, not {host}")
            process = subprocess.Popen([str(app)], env=env, stdin=subprocess.DEVNULL)
            socket_file = root / "bk" / "run" / "bk.sock"
            deadline = time.monotonic() + 30
            while not socket_file.exists():
                if process.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"smoke: the app did not listen (exit {process.poll()})")
                time.sleep(0.05)
            reply = ping(host, env)
            print(f"smoke: host reply {reply}")
            ok = isinstance(reply, dict) and reply.get("ok") is True
    finally:
        if process is not None:
            process.terminate()
            process.wait(10)
        shutil.rmtree(root, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
