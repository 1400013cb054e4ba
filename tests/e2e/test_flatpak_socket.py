"""The app's socket for Flatpak browsers: the host copy ``bridgekeeper install`` placed in a
(FAKE) Flatpak browser's folder, run inside a bubblewrap stand-in for its sandbox
(tests/support/sandbox.py: of the runtime folder it sees only ``$XDG_RUNTIME_DIR/app/<id>``,
``/.flatpak-info`` names the app), reaches the app started outside through the socket the
app keeps in ``$XDG_RUNTIME_DIR/app/<id>/bridgekeeper/``, with the same checks as the
app's own socket; and what is found there instead is refused.

The browsers themselves inside the sandbox: tests/browsers/test_sandboxed.py."""

from __future__ import annotations

import io
import json
import os
import shutil
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from host import protocol
from tests.support.browsers import BrowserName
from tests.support.harness import (
    AppProcess,
    Home,
    encode,
    one_shot,
    read_frame,
    start_app,
    wait_for,
)
from tests.support.machine import bk
from tests.support.needs import NOT_ROOT
from tests.support.other_user import Impostor, throwaway_user
from tests.support.raw_client import HOST_HELLO, RawClient
from tests.support.sandbox import (
    FLATPAK_IDS,
    install_flatpak,
    runtime_dir,
    runtime_env,
    sandboxed_host,
)

pytestmark = pytest.mark.skipif(shutil.which("bwrap") is None, reason="needs bwrap")
as_root = pytest.mark.skipif(NOT_ROOT, reason="needs root to give a folder away")
CHROMIUM = FLATPAK_IDS["chromium"]


def shared(home: Home, app_id: str = CHROMIUM) -> Path:
    """The runtime folder Flatpak shares with the sandbox (Flatpak's)."""
    return runtime_dir(home) / "app" / app_id


def socket_of(home: Home, app_id: str = CHROMIUM) -> Path:
    return shared(home, app_id) / "bridgekeeper" / "bk.sock"


def start(home: Home) -> AppProcess:
    """The app outside, in the user's session (which sets XDG_RUNTIME_DIR)."""
    return start_app(home, env=runtime_env(home))


@pytest.fixture
def started(home: Home) -> Iterator[AppProcess]:
    app = start(home)
    yield app
    app.stop()


def ask_inside(home: Home, message: object, name: BrowserName = "chromium") -> tuple[Any, str]:
    """One request through the host copy inside the sandbox, as the browser there makes it:
    the reply and what the host logged."""
    host = sandboxed_host(home, name)
    try:
        out, err = host.communicate(encode(message), timeout=30)
    finally:
        if host.poll() is None:
            host.kill()
            host.wait()
    reply = read_frame(io.BytesIO(out))
    return reply, err.decode("utf-8", "replace")


def ping_inside(home: Home, name: BrowserName = "chromium") -> dict[str, Any]:
    reply, err = ask_inside(home, {"type": "ping", "id": "p"}, name)
    assert isinstance(reply, dict), err
    return reply


def mode(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


def sh(home: Home, *args: str) -> subprocess.CompletedProcess[str]:
    return bk(home, *args, env=runtime_env(home))


# --- Served ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["chromium", "firefox"])
def test_a_host_inside_the_sandbox_reaches_the_app_through_the_sandbox_socket(
    started: AppProcess, name: BrowserName
) -> None:
    home = started.home
    install_flatpak(home, name)  # the app runs: install tells it to listen
    app_id = FLATPAK_IDS[name]
    reply = ping_inside(home, name)
    assert reply["ok"] is True, reply
    assert reply["result"]["pong"] is True
    # Flatpak's folder (here made by the app, as Flatpak makes it), ours, our socket.
    assert (mode(shared(home, app_id)), mode(shared(home, app_id) / "bridgekeeper")) == (
        0o700,
        0o700,
    )
    assert stat.S_ISSOCK(os.lstat(socket_of(home, app_id)).st_mode)
    assert mode(socket_of(home, app_id)) == 0o600
    assert f"listening for the Flatpak {app_id}" in home.log_text()


def test_install_says_the_running_app_listens_and_status_shows_it(started: AppProcess) -> None:
    home = started.home
    install_flatpak(home, "chromium")
    done = sh(home, "install")
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"listening  chromium       for its Flatpak: {socket_of(home)}" in done.stdout
    status = sh(home, "status")
    assert f"[ ok ] chromium      sandbox socket     Bridgekeeper listens at {socket_of(home)}" in (
        status.stdout.splitlines()
    ), status.stdout


def test_the_host_inside_cannot_start_the_app_and_says_what_to_do(home: Home) -> None:
    install_flatpak(home, "chromium")
    reply, _err = ask_inside(home, {"type": "ping", "id": 1})
    assert reply["id"] == 1
    assert reply["error"]["code"] == "app_unavailable"
    message = reply["error"]["message"]
    assert "Bridgekeeper is not running" in message
    assert f"a Flatpak sandbox ({CHROMIUM}), from which it cannot be started" in message
    assert "Start at login" in message
    assert not home.log_text(), "an app was started"
    status = sh(home, "status")
    assert "sandbox socket     Bridgekeeper listens at" in status.stdout
    assert "once it runs" in status.stdout
    assert status.returncode == 0, status.stdout


def test_a_flatpak_installed_after_the_app_started_is_served_from_the_next_install(
    started: AppProcess,
) -> None:
    home = started.home
    # Installed while Bridgekeeper already ran: the install that serves it tells the app.
    assert not shared(home).exists()
    install_flatpak(home, "chromium")
    assert ping_inside(home)["ok"] is True
    removed = sh(home, "uninstall", "--browser", "chromium")
    assert removed.returncode == 0, removed.stdout + removed.stderr
    wait_for(lambda: not socket_of(home).exists(), 5, "the app to stop listening there")
    assert shared(home).is_dir()  # Flatpak's folder stays
    assert f"no longer listening for the Flatpak {CHROMIUM}" in home.log_text()


def test_a_flatpak_installed_while_the_app_was_not_running_is_served_when_it_starts(
    home: Home,
) -> None:
    install_flatpak(home, "chromium")
    assert ping_inside(home)["error"]["code"] == "app_unavailable"
    app = start(home)
    try:
        wait_for(socket_of(home).exists, 10, "the app to listen for the Flatpak")
        assert ping_inside(home)["ok"] is True
    finally:
        app.stop()
    assert not socket_of(home).exists()  # gone with the app


def test_the_sandbox_socket_serves_only_its_browsers_hosts(started: AppProcess) -> None:
    home = started.home
    install_flatpak(home, "chromium")
    path = socket_of(home)
    control = {"protocol": protocol.SOCKET_PROTOCOL, "role": "control", "pid": 1}
    firefox = {**HOST_HELLO, "caller": {"family": "firefox", "extension": "demo@bridgekeeper.org"}}
    for hello in (control, firefox):
        client = RawClient(path, hello)
        try:
            frame = client.receive()
            assert frame is not None
            assert frame[0] == protocol.REFUSED
            assert (
                "serves only its browser's hosts (chromium family)"
                in json.loads(frame[2])["message"]
            )
            assert client.receive() is None
        finally:
            client.sock.close()
    client = RawClient(path)  # a Chromium host, as the one inside says
    try:
        client.request(1, {"type": "ping", "id": "p"})
        assert client.reply()[1]["result"]["pong"] is True  # type: ignore[index]
    finally:
        client.sock.close()


# --- Refused ---------------------------------------------------------------------------


@as_root
def test_a_runtime_folder_another_user_created_first_is_refused(home: Home) -> None:
    folder = shared(home)
    folder.mkdir(parents=True, mode=0o700)
    os.chown(folder, 54321, 54321)
    install_flatpak(home, "chromium")  # while the app is not running: nothing to tell
    app = start(home)
    try:
        wait_for(
            lambda: "cannot listen for the Flatpak" in home.log_text(), 10, "the refusal logged"
        )
        assert f"{folder} belongs to user 54321 (uid 54321), not to you" in home.log_text()
        assert list(folder.iterdir()) == []  # nothing of ours placed in it
        done = sh(home, "install")
        assert done.returncode == 1
        assert f"failed     chromium       cannot listen for its Flatpak: {folder} belongs" in (
            done.stdout
        )
        status = sh(home, "status")
        assert status.returncode == 1
        assert "[FAIL] chromium      sandbox socket     " + f"{folder} belongs to user 54321" in (
            status.stdout
        )
        assert "sudo rm -r" in status.stdout
        # The host inside refuses it too, before a byte, saying why.
        reply, _err = ask_inside(home, {"type": "ping", "id": 1})
        assert reply["error"]["code"] == "app_unavailable"
        assert "belongs to user 54321" in reply["error"]["message"]
        # The app's own socket serves everyone else meanwhile.
        assert one_shot(home, {"type": "ping", "id": 2})["ok"] is True
    finally:
        app.stop()


def test_a_link_where_the_runtime_folder_should_be_is_refused_and_not_followed(
    home: Home,
) -> None:
    elsewhere = home.root / "elsewhere"
    elsewhere.mkdir(mode=0o700)
    shared(home).parent.mkdir(parents=True, mode=0o700)
    shared(home).symlink_to(elsewhere)
    install_flatpak(home, "chromium")
    app = start(home)
    try:
        wait_for(
            lambda: "cannot listen for the Flatpak" in home.log_text(), 10, "the refusal logged"
        )
        assert f"{shared(home)} is a symbolic link (to {elsewhere})" in home.log_text()
        assert list(elsewhere.iterdir()) == []
        status = sh(home, "status")
        assert status.returncode == 1
        assert f"[FAIL] chromium      sandbox socket     {shared(home)} is a symbolic link" in (
            status.stdout
        )
        reply, _err = ask_inside(home, {"type": "ping", "id": 1})
        assert reply["error"]["code"] == "app_unavailable"  # nothing of ours in there
        assert list(elsewhere.iterdir()) == []
    finally:
        app.stop()


@pytest.mark.second_user
def test_a_socket_of_another_user_in_the_sandbox_folder_gets_no_byte(home: Home) -> None:
    install_flatpak(home, "chromium")
    ours = socket_of(home).parent
    ours.mkdir(parents=True, mode=0o700)  # what a previous run of the app left
    shared(home).chmod(0o700)
    with throwaway_user() as other, Impostor(other, socket_of(home), own_folder=False) as impostor:
        reply, err = ask_inside(home, {"type": "ping", "id": 1})
        assert reply["error"]["code"] == "app_unavailable", err
        assert f"served by user {other.name} (uid {other.uid}" in reply["error"]["message"]
        status = sh(home, "status")
        assert f"[FAIL] chromium      sandbox socket     {socket_of(home)} is served by user" in (
            status.stdout
        )
        # The app, when it starts, takes the name back; the impostor never hears a byte.
        app = start(home)
        try:
            wait_for(lambda: "listening for the Flatpak" in home.log_text(), 10, "the app")
            assert ping_inside(home)["ok"] is True
        finally:
            app.stop()
        events = impostor.events()
    assert all(event in ("accepted", "received 0") for event in events), events
