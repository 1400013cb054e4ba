"""Flatpak browsers per user (a FAKE ``~/.local/share/flatpak/app/<id>`` layout in a
temporary HOME): ``bridgekeeper install`` places the manifest and a copy of the host in
``~/.var/app/<id>``, the copy runs with ``/usr/bin/python3 -SI`` and the standard library
only, the app repairs and extends what install placed when it starts, ``status`` and
``doctor`` show it, ``uninstall`` removes it; a folder that cannot be trusted is refused.
(The browsers themselves inside bubblewrap: tests/browsers/test_sandboxed.py.)"""

from __future__ import annotations

import io
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from host.protocol import HOST_NAME
from tests.support.harness import (
    CHROME_ID,
    AppProcess,
    Home,
    encode,
    read_frame,
    start_app,
    wait_for,
)
from tests.support.machine import bk, fake_browsers, read_json
from tests.support.needs import NOT_ROOT
from tests.support.sandbox import runtime_env

CHROMIUM_ID = "org.chromium.Chromium"
BRAVE_ID = "com.brave.Browser"


def install_flatpak(home: Home, app_id: str) -> None:
    """A FAKE per-user Flatpak install: the folder `flatpak install --user` creates."""
    (home.home / ".local/share/flatpak/app" / app_id / "current/active/files").mkdir(parents=True)


def var_app(home: Home, app_id: str) -> Path:
    return home.home / ".var/app" / app_id


def manifest(home: Home, app_id: str) -> Path:
    folder = {CHROMIUM_ID: "chromium", BRAVE_ID: "BraveSoftware/Brave-Browser"}[app_id]
    return var_app(home, app_id) / "config" / folder / "NativeMessagingHosts" / f"{HOST_NAME}.json"


def copy(home: Home, app_id: str) -> Path:
    return var_app(home, app_id) / "data/bridgekeeper"


def run_copy(home: Home, app_id: str) -> object:
    """Start the host copy as the manifest says, as the browser would (here outside the
    sandbox: the copy then reaches the app's usual socket)."""
    path = read_json(manifest(home, app_id))["path"]
    assert isinstance(path, str)
    done = subprocess.run(
        [path, f"chrome-extension://{CHROME_ID}/"],
        input=encode({"type": "ping", "id": "p"}),
        capture_output=True,
        env=home.env(),
        cwd=str(Path(path).parent),
        timeout=30,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return read_frame(io.BytesIO(done.stdout))


@pytest.fixture
def session_app(home: Home) -> Iterator[AppProcess]:
    """The app as a desktop session starts it (with XDG_RUNTIME_DIR, where it listens for
    Flatpak browsers)."""
    app = start_app(home, env=runtime_env(home))
    yield app
    app.stop()


def session(home: Home) -> dict[str, str]:
    return {**fake_browsers(home), **runtime_env(home)}


def test_install_serves_a_flatpak_browser_and_its_host_copy_answers(
    session_app: AppProcess,
) -> None:
    home = session_app.home
    install_flatpak(home, CHROMIUM_ID)
    done = bk(home, "install", env=session(home))
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"wrote      chromium       in its Flatpak: {manifest(home, CHROMIUM_ID)}" in done.stdout
    data = read_json(manifest(home, CHROMIUM_ID))
    assert data["allowed_origins"] == [f"chrome-extension://{CHROME_ID}/"]
    assert data["path"] == str(copy(home, CHROMIUM_ID) / "bridgekeeper-host")
    reply = run_copy(home, CHROMIUM_ID)
    assert isinstance(reply, dict)
    assert reply["result"]["pong"] is True
    status = bk(home, "status", env=session(home))
    assert status.returncode == 0, status.stdout
    lines = status.stdout.splitlines()
    assert f"[ ok ] chromium      browser found      Flatpak ({CHROMIUM_ID}, per user)" in lines
    assert any(
        line.startswith("[ ok ] chromium      flatpak            served inside its sandbox")
        for line in lines
    )
    assert f"[ ok ] chromium      host copy          current: {copy(home, CHROMIUM_ID)}" in lines
    doctor = bk(home, "doctor", env=session(home))
    assert doctor.returncode == 0, doctor.stdout
    assert "[ ok ] chromium      ping, host copy    pong from Bridgekeeper" in doctor.stdout
    removed = bk(home, "uninstall", env=session(home))
    assert removed.returncode == 0
    assert not manifest(home, CHROMIUM_ID).exists()
    assert not copy(home, CHROMIUM_ID).exists()
    assert var_app(home, CHROMIUM_ID).is_dir()  # the browser's own folder stays


def test_an_app_without_a_runtime_folder_cannot_serve_a_flatpak_and_install_says_so(
    app: AppProcess,
) -> None:
    home = app.home  # started without XDG_RUNTIME_DIR (over ssh, from a bare su)
    install_flatpak(home, CHROMIUM_ID)
    done = bk(home, "install", env=session(home))
    assert done.returncode == 1
    assert (
        "failed     chromium       cannot listen for its Flatpak: XDG_RUNTIME_DIR is not set"
        in done.stdout
    )
    assert "run Bridgekeeper in your desktop session" in done.stdout
    assert manifest(home, CHROMIUM_ID).exists()  # what install writes is written all the same


def test_a_symlinked_var_app_folder_is_refused_with_what_to_do(home: Home) -> None:
    install_flatpak(home, CHROMIUM_ID)
    elsewhere = home.root / "elsewhere"
    elsewhere.mkdir()
    var_app(home, CHROMIUM_ID).parent.mkdir(parents=True)
    var_app(home, CHROMIUM_ID).symlink_to(elsewhere)
    done = bk(home, "install", env=fake_browsers(home))
    assert done.returncode == 1
    assert "failed     chromium" in done.stdout
    assert f"{var_app(home, CHROMIUM_ID)} is a symbolic link (to {elsewhere})" in done.stdout
    assert "Traceback" not in done.stderr
    assert list(elsewhere.iterdir()) == []
    status = bk(home, "status", env=fake_browsers(home))
    assert status.returncode == 1
    assert "[FAIL] chromium      flatpak folder" in status.stdout


@pytest.mark.skipif(NOT_ROOT, reason="needs root to give the folder to another user")
def test_a_var_app_folder_owned_by_another_user_is_refused(home: Home) -> None:
    install_flatpak(home, CHROMIUM_ID)
    folder = var_app(home, CHROMIUM_ID)
    folder.mkdir(parents=True)
    os.chown(folder, 54321, 54321)
    done = bk(home, "install", env=fake_browsers(home))
    assert done.returncode == 1
    assert f"{folder} belongs to user id 54321, not to you" in done.stdout
    assert list(folder.iterdir()) == []


def test_the_app_repairs_a_stale_copy_and_serves_a_flatpak_installed_since(home: Home) -> None:
    install_flatpak(home, CHROMIUM_ID)
    assert bk(home, "install", env=fake_browsers(home)).returncode == 0
    relay = copy(home, CHROMIUM_ID) / "host/relay.py"
    relay.write_text("raise SystemExit('an older version')\n")
    app = start_app(home)
    try:
        install_flatpak(home, BRAVE_ID)  # installed while the app runs
        assert not manifest(home, BRAVE_ID).exists()
        wait_for(lambda: "repaired the Chromium manifest" in home.log_text(), 10, "the repair")
        reply = run_copy(home, CHROMIUM_ID)
        assert isinstance(reply, dict)
        assert reply["ok"] is True
    finally:
        app.stop()
    app = start_app(home)  # the next start finds it
    try:
        wait_for(lambda: manifest(home, BRAVE_ID).exists(), 10, "Brave's Flatpak to be served")
        assert "a Flatpak browser found since the last install: wrote      brave" in (
            home.log_text()
        )
        reply = run_copy(home, BRAVE_ID)
        assert isinstance(reply, dict)
        assert reply["ok"] is True
    finally:
        app.stop()
