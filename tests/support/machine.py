"""A user's machine for integration tests: a temporary HOME where detection sees only the
browsers a test names, the manifest paths browsers read there, and ``bridgekeeper`` run
as the real command."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from host.protocol import HOST_NAME
from tests.support.harness import BIN, Home

OTHER_CHROME_ID = "abcdefghijklmnopabcdefghijklmnop"
CHROMIUM_MANIFEST = Path(".config/chromium/NativeMessagingHosts") / f"{HOST_NAME}.json"
FIREFOX_MANIFEST = Path(".mozilla/native-messaging-hosts") / f"{HOST_NAME}.json"
BRAVE_MANIFEST = Path(".config/BraveSoftware/Brave-Browser/NativeMessagingHosts") / (
    f"{HOST_NAME}.json"
)


def fake_browsers(home: Home, *names: str) -> dict[str, str]:
    """A PATH holding only executables named like browsers: detection sees exactly these."""
    folder = home.root / "fakebin"
    folder.mkdir(exist_ok=True)
    for name in names:
        exe = folder / name
        exe.write_text("#!/bin/sh\nexit 0\n")
        exe.chmod(0o755)
    return {"PATH": str(folder)}


def bk(
    home: Home, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [str(BIN / "bridgekeeper"), *args],
        env=home.env(env),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if args[:1] in (("status",), ("doctor",)) and done.returncode != 2:
        # SPEC 1.1: status and doctor exit 1 exactly when they print a failure; checked on
        # every run of them in the suite, whatever else the test looks at.
        failed = any(line.startswith("[FAIL]") for line in done.stdout.splitlines())
        assert done.returncode == (1 if failed else 0), (done.returncode, done.stdout)
    return done


def read_json(path: Path) -> dict[str, object]:
    data = json.loads(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def launcher(home: Home) -> Path:
    return home.bk_home / "data" / "bridgekeeper-host"
