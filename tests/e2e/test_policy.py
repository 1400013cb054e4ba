"""The system policy end to end: the real app, hosts started as browsers start them, and
the ``bridgekeeper`` commands, with ``$BRIDGEKEEPER_HOME/policy.json`` as the policy file.
Extensions it allows are served and written into manifests; its locks hold in the app
and on the command line; a broken file fails closed and is reported."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from app.core.decisions import DecisionKey, DecisionStore
from app.system import instance
from tests.support.harness import (
    CHROME_ID,
    AppProcess,
    Home,
    HostProcess,
    one_shot,
    start_app,
    wait_for,
)
from tests.support.machine import (
    CHROMIUM_MANIFEST,
    OTHER_CHROME_ID,
    bk,
    fake_browsers,
    read_json,
)

OTHER_ARGV = [f"chrome-extension://{OTHER_CHROME_ID}/"]


def write_policy(home: Home, document: dict[str, Any], mode: int = 0o644) -> Path:
    path = home.bk_home / "policy.json"
    path.write_text(json.dumps(document))
    path.chmod(mode)
    return path


def ping(home: Home, argv: list[str] | None = None) -> dict[str, Any]:
    reply: dict[str, Any] = one_shot(home, {"type": "ping", "id": 1}, argv)
    return reply


def test_an_extension_the_policy_allows_is_served_listed_and_written_into_manifests(
    app: AppProcess,
) -> None:
    home = app.home
    assert ping(home, OTHER_ARGV)["error"]["code"] == "untrusted_extension"
    path = write_policy(home, {"version": 1, "allowed_extensions": [f"{OTHER_CHROME_ID}=Wallet"]})
    assert ping(home, OTHER_ARGV)["ok"] is True  # at once: the app re-reads the policy
    env = fake_browsers(home, "chromium")
    done = bk(home, "install", env=env)
    assert done.returncode == 0, done.stderr
    assert f"allowed: chromium {OTHER_CHROME_ID} (Wallet)  [system policy]" in done.stdout
    origins = read_json(home.home / CHROMIUM_MANIFEST)["allowed_origins"]
    assert origins == [f"chrome-extension://{OTHER_CHROME_ID}/", f"chrome-extension://{CHROME_ID}/"]
    listed = bk(home, "extensions", "list").stdout.splitlines()
    assert listed[0].split() == ["NAME", "BROWSER", "ID", "ALLOWED", "BY"]
    assert listed[1].split() == ["Wallet", "Chromium", OTHER_CHROME_ID, "system", "policy"]
    refused = bk(home, "extensions", "remove", OTHER_CHROME_ID, env=env)
    assert refused.returncode == 1
    assert f"is allowed for everyone by the system policy ({path})" in refused.stderr
    assert ping(home, OTHER_ARGV)["ok"] is True
    status = bk(home, "status", env=env)
    assert status.returncode == 0, status.stdout
    assert f"[ ok ] policy        file               {path}" in status.stdout
    assert f"[ ok ] policy        allows             chromium: {OTHER_CHROME_ID} (Wallet)" in (
        status.stdout
    )


@pytest.mark.parametrize(
    ("breakage", "reported"),
    [
        (lambda path: path.chmod(0o666), "is writable by others (mode 666)"),
        (lambda path: path.write_text("{ not json"), "is not valid JSON"),
        (
            lambda path: path.write_text('{"version": 1, "allowed_extensions": ["notanid"]}'),
            "'notanid' is not an extension id",
        ),
        (lambda path: path.write_text('{"version": 1, "pause": "no"}'), '"pause" must be'),
    ],
    ids=["writable", "unparsable", "malformed-id", "wrong-type"],
)
def test_a_broken_policy_fails_closed_in_the_app_and_is_reported(
    app: AppProcess, breakage: Any, reported: str
) -> None:
    home = app.home
    path = write_policy(home, {"version": 1, "allowed_extensions": [OTHER_CHROME_ID]})
    assert ping(home, OTHER_ARGV)["ok"] is True
    breakage(path)
    assert ping(home, OTHER_ARGV)["error"]["code"] == "untrusted_extension"
    assert ping(home)["ok"] is True  # the user's own extensions are still served
    logged = [line for line in home.log_text().splitlines() if "ERROR" in line]
    assert any("system policy: " in line and reported in line for line in logged)
    paused = bk(home, "pause")  # every lock on
    assert paused.returncode == 1
    status = bk(home, "status", env=fake_browsers(home))
    assert status.returncode == 1
    [row] = [line for line in status.stdout.splitlines() if line.startswith("[FAIL] policy")]
    assert reported in row
    assert "until it is fixed, no extension is allowed by it and every lock is on" in row
    assert f"fix: ask your administrator to fix it (as root: sudoedit {path})" in status.stdout


def test_unknown_keys_are_reported_and_the_rest_applied(app: AppProcess) -> None:
    write_policy(app.home, {"version": 1, "allowed_extensions": [OTHER_CHROME_ID], "colour": 1})
    assert ping(app.home, OTHER_ARGV)["ok"] is True
    status = bk(app.home, "status", env=fake_browsers(app.home))
    assert status.returncode == 0
    assert "[warn] policy        file               the policy file" in status.stdout
    assert '"colour"' in status.stdout


def test_remember_and_max_timeout_locks_hold_in_the_app(home: Home) -> None:
    key = DecisionKey("chromium", CHROME_ID, "confirm", "tab", "https://example.com")
    store = DecisionStore(home.bk_home / "data")
    (home.bk_home / "data").mkdir(mode=0o700, parents=True, exist_ok=True)
    store.load()
    store.remember(key, "allow")
    write_policy(home, {"version": 1, "remember": False, "max_timeout": 5})
    app = start_app(home)
    try:
        started = time.monotonic()
        reply = one_shot(
            home,
            {
                "type": "confirm",
                "id": "c",
                "title": "Open a tab?",
                "action": "tab",
                "site": "https://example.com",
                "timeout": 600,
            },
        )
        elapsed = time.monotonic() - started
        # Not answered from memory; asked, and the 600 s shortened to the policy's 5 s.
        assert reply["result"] == {"decision": "deny", "reason": "timeout", "remembered": False}
        assert 5.0 <= elapsed < 8.0
    finally:
        app.stop()


def test_pause_locked_is_refused_by_the_command_and_by_the_app(
    app: AppProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = app.home
    path = write_policy(home, {"version": 1, "pause": False})
    done = bk(home, "pause")
    assert done.returncode == 1
    assert f"pausing prompts is turned off by the system policy ({path})" in done.stderr
    # The app refuses too, whoever asks it (not only this command line).
    for name, value in home.env().items():
        monkeypatch.setenv(name, value)
    with pytest.raises(instance.ControlFailed, match="turned off by the system policy"):
        instance.control("pause")
    host = HostProcess(home)
    try:
        host.send({"type": "confirm", "id": 1, "title": "Still asked?", "timeout": 30})
        wait_for(lambda: _pending(home) == 1, 5, "the prompt to wait for the user")
    finally:
        host.kill()
    assert bk(home, "resume").returncode == 0  # resuming is always allowed


def _pending(home: Home) -> int:
    reply = one_shot(home, {"type": "status"})
    return int(reply["result"]["pending"])
