"""Secrets end to end: the real app process, hosts started as browsers start them, the
real gnome-keyring (``tests/support/run-with-services``) and, under Xvfb, the real dialog answered
with the keyboard. Values are looked for where they must never be: the log folder and
failure replies."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from app.core.decisions import DecisionKey, DecisionStore
from app.system.keychain import NO_BACKEND_MESSAGE, Keychain
from host import protocol
from host.caller import Caller
from tests.support.desktop import Desktop
from tests.support.harness import (
    CHROME_ID,
    FIREFOX_ID,
    AppProcess,
    Home,
    HostProcess,
    app_command,
    one_shot,
    start_app,
)

pytestmark = [pytest.mark.keyring, pytest.mark.app_transport]

if sys.platform == "linux":  # keyring's Secret Service client: a Linux-only dependency
    import secretstorage
else:  # the tests that use it need a Secret Service (the keyring need): skipped there
    secretstorage: Any = None

CHROME = Caller("chromium", CHROME_ID)
FIREFOX = Caller("firefox", FIREFOX_ID)
FIREFOX_ARGV = ["/home/u/.mozilla/native-messaging-hosts/org.bridgekeeper.host.json", FIREFOX_ID]
VALUE = "e2e-" + "s3cr3t-ünïcode-✓"  # built, so no source line shows it whole


@pytest.fixture(autouse=True)
def secret_service() -> Iterator[None]:
    if os.environ.get("BK_SECRET_SERVICE") != "1":
        pytest.skip("needs a real Secret Service: run through tests/support/run-with-services")
    yield
    with closing(secretstorage.dbus_init()) as bus:
        for item in secretstorage.get_default_collection(bus).get_all_items():
            if item.get_attributes().get("service", "").startswith("bridgekeeper:"):
                item.delete()


def remember(home: Home, type_: str, name: str, caller: Caller = CHROME) -> None:
    folder = home.bk_home / "data"
    folder.mkdir(parents=True, mode=0o700, exist_ok=True)
    store = DecisionStore(folder)
    store.load()
    store.remember(DecisionKey(caller.family, caller.extension, type_, name), "allow")


def files_containing(folder: Path, text: str) -> list[Path]:
    return [
        path
        for path in folder.rglob("*")
        if path.is_file() and text.encode("utf-8") in path.read_bytes()
    ]


def test_remembered_get_is_answered_from_the_keychain_without_a_dialog(home: Home) -> None:
    Keychain().set(CHROME, "api-token", VALUE)
    remember(home, "secret.get", "api-token")
    remember(home, "secret.get", "api-token", FIREFOX)
    app = start_app(home)
    try:
        reply = one_shot(home, {"type": "secret.get", "id": "g", "name": "api-token"})
        assert reply == {
            "id": "g",
            "ok": True,
            "result": {"decision": "allow", "reason": "remembered", "value": VALUE},
        }
        # Another extension allowed to read the same name reaches only its own service.
        other = one_shot(home, {"type": "secret.get", "id": "x", "name": "api-token"}, FIREFOX_ARGV)
        assert other["error"]["code"] == "not_found"
        assert VALUE not in str(other)
    finally:
        assert app.stop() == 0
    assert files_containing(home.bk_home, VALUE) == []


def test_value_too_large_for_a_browser_is_answered_too_large_by_the_app(home: Home) -> None:
    # Another program may have stored a value larger than any message a browser accepts.
    Keychain().set(CHROME, "huge", "x" * protocol.MAX_REPLY_BYTES)
    remember(home, "secret.get", "huge")
    app = start_app(home)
    try:
        reply = one_shot(home, {"type": "secret.get", "id": "g", "name": "huge"})
        assert reply["id"] == "g"
        assert reply["error"]["code"] == "too_large"
        assert "at most 1048576 bytes" in reply["error"]["message"]
    finally:
        assert app.stop() == 0


def test_paused_app_denies_secret_get_without_a_dialog(app: AppProcess) -> None:
    subprocess.run([*app_command(), "pause"], env=app.home.env(), check=True, timeout=30)
    reply = one_shot(app.home, {"type": "secret.get", "id": 1, "name": "api-token"})
    assert reply["result"] == {"decision": "deny", "reason": "paused", "value": None}


@pytest.mark.parametrize(
    "env",
    [
        {"PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"},
        {"DBUS_SESSION_BUS_ADDRESS": "unix:path=/nonexistent/bus"},
    ],
    ids=["fail-backend", "no-dbus-session"],
)
def test_no_keyring_backend_gives_keyring_unavailable_without_the_value(
    home: Home, env: dict[str, str]
) -> None:
    remember(home, "secret.set", "api-token")
    app = start_app(home, env=env)
    try:
        reply = one_shot(home, {"type": "secret.set", "id": 5, "name": "api-token", "value": VALUE})
        assert reply == {
            "id": 5,
            "ok": False,
            "error": {"code": "keyring_unavailable", "message": NO_BACKEND_MESSAGE},
        }
    finally:
        assert app.stop() == 0
    assert "keychain unavailable: the keyring backend is keyring.backends.fail" in home.log_text()
    assert files_containing(home.bk_home, VALUE) == []
    assert Keychain().get(CHROME, "api-token") is None


def test_oversized_value_is_bad_request_without_echoing_it(app: AppProcess) -> None:
    huge = "q" * 65_537
    reply = one_shot(app.home, {"type": "secret.set", "id": 2, "name": "t", "value": huge})
    assert reply["error"] == {
        "code": "bad_request",
        "message": "field 'value' is 65,537 characters; at most 65,536 are allowed",
    }


@pytest.mark.xvfb
def test_set_then_get_with_the_dialog_answered_by_keyboard(home: Home, desktop: Desktop) -> None:
    app = start_app(home, env=desktop.app_env())
    try:
        host = HostProcess(home)
        try:
            host.send({"type": "secret.set", "id": 1, "name": "api-token", "value": VALUE})
            desktop.answer_dialog("allow", screenshot="secret-set-dialog")
            assert host.read() == {
                "id": 1,
                "ok": True,
                "result": {"decision": "allow", "reason": "user"},
            }
            host.send({"type": "secret.get", "id": 2, "name": "api-token"})
            desktop.answer_dialog("allow", screenshot="secret-get-dialog")
            assert host.read()["result"] == {"decision": "allow", "reason": "user", "value": VALUE}
            host.send({"type": "secret.delete", "id": 3, "name": "api-token"})
            desktop.answer_dialog("deny", screenshot="secret-delete-dialog")
            assert host.read()["result"] == {"decision": "deny", "reason": "user", "deleted": False}
        finally:
            host.kill()
    finally:
        assert app.stop() == 0
    assert Keychain().get(CHROME, "api-token") == VALUE
    assert files_containing(home.bk_home, VALUE) == []
