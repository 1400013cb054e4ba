"""The keychain layer against a real Secret Service (gnome-keyring in a private D-Bus
session: ``tests/support/run-with-services``), and its failure paths: no backend, no D-Bus, a
locked keychain, a refused backend."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import traceback
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import keyring.backend
import keyring.backends.fail
import keyring.backends.null
import keyring.backends.SecretService
import keyring.errors
import pytest

from app.core.handlers.secrets import KeychainUnavailable, NoIdentity, service_for
from app.system.keychain import LOCKED_MESSAGE, NO_BACKEND_MESSAGE, Keychain
from host.caller import Caller

pytestmark = pytest.mark.keyring

if sys.platform == "linux":  # keyring's Secret Service client: a Linux-only dependency
    import secretstorage
else:  # the tests that use it need a Secret Service (the keyring need): skipped there
    secretstorage: Any = None
ROOT = Path(__file__).resolve().parents[2]

ALICE = Caller("chromium", "aaaabbbbccccddddeeeeffffgggghhhh", "Chromium")
# Mallory's ids look like Alice's: a longer id, Alice's id in Firefox, upper case.
LOOKALIKES = [
    Caller("chromium", ALICE.extension + "a", "Chromium"),
    Caller("chromium", ALICE.extension[:-1], "Chromium"),
    Caller("chromium", ALICE.extension.upper(), "Chromium"),
    Caller("firefox", ALICE.extension, "Firefox"),
    Caller("firefox", f"{ALICE.extension}@chromium", "Firefox"),
]
# Every spelling of "token" that the name pattern lets through.
SPELLINGS = ["token", "Token", "TOKEN", "token.", ".token", "token-", "_token", "..", "."]


def secret_service_backend() -> keyring.backend.KeyringBackend:
    return keyring.backends.SecretService.Keyring()  # type: ignore[no-untyped-call]


def null_backend() -> keyring.backend.KeyringBackend:
    return keyring.backends.null.Keyring()  # type: ignore[no-untyped-call]


def fail_backend() -> keyring.backend.KeyringBackend:
    return keyring.backends.fail.Keyring()  # type: ignore[no-untyped-call]


def need_secret_service() -> None:
    if os.environ.get("BK_SECRET_SERVICE") != "1":
        pytest.skip("needs a real Secret Service: run through tests/support/run-with-services")


@pytest.fixture
def keychain() -> Iterator[Keychain]:
    need_secret_service()
    chain = Keychain(secret_service_backend())
    yield chain
    with closing(secretstorage.dbus_init()) as bus:
        for item in secretstorage.get_default_collection(bus).get_all_items():
            if item.get_attributes().get("service", "").startswith("bridgekeeper:"):
                item.delete()


def items_of(service: str) -> dict[str, str]:
    """What the Secret Service itself holds for ``service``: name -> value."""
    with closing(secretstorage.dbus_init()) as bus:
        collection = secretstorage.get_default_collection(bus)
        return {
            item.get_attributes()["username"]: item.get_secret().decode("utf-8")
            for item in collection.search_items({"service": service})
        }


def test_service_is_bridgekeeper_family_and_extension_id() -> None:
    assert service_for(ALICE) == f"bridgekeeper:chromium:{ALICE.extension}"
    assert service_for(Caller("firefox", "demo@bridgekeeper.org")) == (
        "bridgekeeper:firefox:demo@bridgekeeper.org"
    )


@pytest.mark.parametrize(
    "caller", [Caller("unknown", ""), Caller("chromium", ""), Caller("unknown", "x")]
)
def test_caller_without_identity_has_no_service(caller: Caller) -> None:
    with pytest.raises(NoIdentity):
        service_for(caller)


def test_default_backend_here_is_the_secret_service() -> None:
    need_secret_service()
    assert "keyring.backends.SecretService.Keyring" in Keychain().backend_name()


def test_set_get_delete_round_trip_in_the_real_keychain(keychain: Keychain) -> None:
    assert keychain.get(ALICE, "token") is None
    keychain.set(ALICE, "token", "s3cr3t ✓ \U0001f511")
    assert keychain.get(ALICE, "token") == "s3cr3t ✓ \U0001f511"
    assert items_of(service_for(ALICE)) == {"token": "s3cr3t ✓ \U0001f511"}
    keychain.set(ALICE, "token", "replaced")
    assert items_of(service_for(ALICE)) == {"token": "replaced"}
    assert keychain.delete(ALICE, "token") is True
    assert keychain.get(ALICE, "token") is None
    assert keychain.delete(ALICE, "token") is False
    assert items_of(service_for(ALICE)) == {}


@pytest.mark.parametrize("value", ["", "x" * 65_536, "é" * 65_536, "line\nbreak\x00nul"])
def test_values_of_every_shape_round_trip(keychain: Keychain, value: str) -> None:
    keychain.set(ALICE, "v", value)
    assert keychain.get(ALICE, "v") == value


@pytest.mark.parametrize("mallory", LOOKALIKES, ids=lambda c: f"{c.family}:{c.extension}")
def test_no_other_caller_reaches_alices_secret_by_any_spelling(
    keychain: Keychain, mallory: Caller
) -> None:
    keychain.set(ALICE, "token", "alice-only")
    for name in SPELLINGS:
        assert keychain.get(mallory, name) is None, name
        assert keychain.delete(mallory, name) is False, name
        keychain.set(mallory, name, "mallory")
    assert keychain.get(ALICE, "token") == "alice-only"
    assert items_of(service_for(ALICE)) == {"token": "alice-only"}
    assert set(items_of(service_for(mallory))) == set(SPELLINGS)


def test_no_backend_is_unavailable_with_what_to_do() -> None:
    chain = Keychain(fail_backend())
    for call in (
        lambda: chain.get(ALICE, "token"),
        lambda: chain.set(ALICE, "token", "v"),
        lambda: chain.delete(ALICE, "token"),
    ):
        with pytest.raises(KeychainUnavailable) as caught:
            call()
        assert str(caught.value) == NO_BACKEND_MESSAGE
    assert "Secret Service" in NO_BACKEND_MESSAGE
    assert "GNOME Keyring" in NO_BACKEND_MESSAGE


NO_BUS_SCRIPT = """
from host.caller import Caller
from app.system.keychain import Keychain
from app.core.handlers.secrets import KeychainUnavailable
try:
    Keychain().get(Caller("chromium", "a" * 32), "token")
except KeychainUnavailable as error:
    print(error)
"""


def test_default_backend_without_dbus_session_is_unavailable(tmp_path: Path) -> None:
    """Keyring's own discovery in a fresh process, as the app does it, without a bus."""
    env = dict(os.environ, DBUS_SESSION_BUS_ADDRESS="unix:path=/nonexistent/bus")
    env.update(XDG_CONFIG_HOME=str(tmp_path), HOME=str(tmp_path))
    env.pop("PYTHON_KEYRING_BACKEND", None)
    done = subprocess.run(
        [sys.executable, "-c", NO_BUS_SCRIPT],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=ROOT,
        env=env,
    )
    assert done.stdout.strip() == NO_BACKEND_MESSAGE, done.stderr


def test_secret_service_gone_from_the_bus_is_unavailable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The backend was chosen, then the bus went away (the session ended)."""
    need_secret_service()
    chain = Keychain(secret_service_backend())
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus")
    with pytest.raises(KeychainUnavailable) as caught:
        chain.set(ALICE, "token", "v")
    message = str(caught.value)
    assert "could not use the system keychain" in message
    assert "running and unlocked" in message


LOCKED_SCRIPT = """
import keyring.backends.SecretService, secretstorage
from contextlib import closing
from pathlib import Path
from host.caller import Caller
from app.system.keychain import Keychain
from app.core.handlers.secrets import KeychainUnavailable
chain = Keychain(keyring.backends.SecretService.Keyring())
caller = Caller("chromium", "a" * 32)
chain.set(caller, "token", "v")
with closing(secretstorage.dbus_init()) as bus:
    secretstorage.get_default_collection(bus).lock()
try:
    chain.get(caller, "token")
except KeychainUnavailable as error:
    print(error)
"""


def test_locked_keychain_whose_unlock_cannot_be_shown_is_unavailable() -> None:
    """In a keyring of its own (locking the shared one would disturb other tests). No
    display here, so gnome-keyring's unlock prompt fails as a dismissed one does."""
    need_secret_service()
    done = subprocess.run(
        [
            str(ROOT / "tests" / "support" / "run-with-services"),
            sys.executable,
            "-c",
            LOCKED_SCRIPT,
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=ROOT,
    )
    assert done.stdout.strip() == LOCKED_MESSAGE, done.stderr


@pytest.mark.parametrize("backend", [null_backend(), fail_backend()])
def test_backends_that_keep_nothing_are_refused(backend: keyring.backend.KeyringBackend) -> None:
    with pytest.raises(KeychainUnavailable):
        Keychain(backend).set(ALICE, "token", "v")


REFUSED_BACKENDS = Path(sys.prefix) / "refused-backends"
"""keyrings.alt, installed by ./dev apart from the venv's packages (on no import path
unless a test puts it there: installed, it makes itself the default backend)."""

ALT_PROBE = """
import json, os, sys
import keyring
from app.core.handlers.secrets import KeychainUnavailable
from app.system.keychain import Keychain
from host.caller import Caller
alice = Caller("chromium", "aaaabbbbccccddddeeeeffffgggghhhh", "Chromium")
backend = None
if sys.argv[1] != "default":
    module, _, name = sys.argv[1].rpartition(".")
    backend = getattr(__import__(module, fromlist=[name]), name)()
chain = Keychain(backend)
results = {}
for operation, args in (("set", ("token", "s3cret")), ("get", ("token",)), ("delete", ("token",))):
    try:
        results[operation] = ["ok", getattr(chain, operation)(alice, *args)]
    except KeychainUnavailable as error:
        results[operation] = ["refused", str(error)]
chosen = keyring.get_keyring()
results["chosen"] = [type(b).__module__ for b in getattr(chosen, "backends", [chosen])]
print(json.dumps(results))
"""


@pytest.mark.parametrize(
    "backend",
    [
        "keyrings.alt.file.PlaintextKeyring",
        "keyrings.alt.file.EncryptedKeyring",
        "default",  # no Secret Service: keyrings.alt is what keyring picks
        "configured",  # PYTHON_KEYRING_BACKEND names it, a Secret Service running or not
    ],
)
def test_keyrings_alt_backends_are_refused_and_write_nothing(backend: str, tmp_path: Path) -> None:
    assert (REFUSED_BACKENDS / "keyrings" / "alt" / "file.py").is_file(), (
        f"keyrings.alt is missing from {REFUSED_BACKENDS}: ./dev test installs it"
    )
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), str(REFUSED_BACKENDS)]),
        "HOME": str(tmp_path),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
    }
    if backend == "default":
        env.pop("DBUS_SESSION_BUS_ADDRESS", None)
    if backend == "configured":
        env["PYTHON_KEYRING_BACKEND"] = "keyrings.alt.file.PlaintextKeyring"
    done = subprocess.run(
        [sys.executable, "-c", ALT_PROBE, backend if "." in backend else "default"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    results = json.loads(done.stdout)
    if backend in ("default", "configured"):  # what keyring picks: keyrings.alt only
        assert results["chosen"]
        assert all(module == "keyrings.alt.file" for module in results["chosen"])
    for operation in ("set", "get", "delete"):
        verdict, message = results[operation]
        assert verdict == "refused"
        assert message.startswith("The keyring backend in use (")
        assert "keyrings.alt.file." in message
        assert "Bridgekeeper will not use it" in message
        assert "PYTHON_KEYRING_BACKEND or keyringrc.cfg" in message
        assert "pip uninstall keyrings.alt" in message
        assert "s3cret" not in message
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert written == []  # no keyring file: the secret went nowhere


class EchoingBackend(keyring.backend.KeyringBackend):
    """A FAKE backend that fails by echoing what it was given, as a careless one might."""

    # keyring registers every subclass: 0 keeps it out of discovery in this process.
    priority = 0

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]

    def get_password(self, service: str, username: str) -> str | None:
        raise keyring.errors.KeyringError(f"cannot read {service}/{username}")

    def set_password(self, service: str, username: str, password: str) -> None:
        raise keyring.errors.PasswordSetError(f"cannot store {password!r}")

    def delete_password(self, service: str, username: str) -> None:
        raise keyring.errors.PasswordDeleteError("cannot delete")


VALUE = "hunter2-" + "value"  # built, so a traceback's source line does not show it


def test_value_is_in_neither_the_error_nor_the_log(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    with pytest.raises(KeychainUnavailable) as caught:
        Keychain(EchoingBackend()).set(ALICE, "token", VALUE)
    assert "hunter2-value" not in str(caught.value)
    assert "hunter2-value" not in repr(caught.value)
    crash_text = "".join(traceback.format_exception(caught.value))
    assert "hunter2-value" not in crash_text
    assert "hunter2-value" not in caplog.text
    assert "PasswordSetError" in caplog.text


def test_failed_delete_of_an_existing_item_is_unavailable_not_false() -> None:
    class UndeletableBackend(EchoingBackend):
        """A FAKE backend holding one item it cannot delete."""

        def get_password(self, service: str, username: str) -> str | None:
            return "still here"

    with pytest.raises(KeychainUnavailable):
        Keychain(UndeletableBackend()).delete(ALICE, "token")
