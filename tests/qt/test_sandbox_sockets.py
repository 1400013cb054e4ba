"""The app's sockets for Flatpak sandboxes, in process: ``SocketServer.serve_sandboxes``
listens in each sandbox's runtime folder, stops when a sandbox is no longer served (its
socket file goes, and only if it is still ours), makes again a socket whose file has gone,
and says what it cannot serve. Real sockets; the hosts inside real sandboxes, and what a
sandbox's socket refuses: tests/e2e/test_flatpak_socket.py."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from app.main import Bridgekeeper
from host import protocol
from host.transport import connect
from tests.support.harness import Home
from tests.support.raw_client import HOST_HELLO

pytestmark = [pytest.mark.linux_folders, pytest.mark.app_transport]
CHROMIUM = "org.chromium.Chromium"
FIREFOX = "org.mozilla.firefox"


@pytest.fixture
def bridgekeeper(
    home: Home, monkeypatch: pytest.MonkeyPatch, qtbot: QtBot
) -> Iterator[Bridgekeeper]:
    monkeypatch.setenv("BRIDGEKEEPER_HOME", str(home.bk_home))
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime(home)))
    running = Bridgekeeper()
    running.start()
    yield running
    running.stop()


def runtime(home: Home) -> Path:
    folder = home.root / "xdg"
    folder.mkdir(mode=0o700, exist_ok=True)
    return folder


def socket_of(home: Home, app_id: str) -> Path:
    return runtime(home) / "app" / app_id / "bridgekeeper" / "bk.sock"


def ping(path: Path, family: str = "chromium") -> dict[str, object]:
    link = connect(str(path))
    assert link is not None
    try:
        hello = {**HOST_HELLO, "caller": {"family": family, "extension": "x"}}
        link.settimeout(5)
        link.send(protocol.HELLO, 0, json.dumps(hello).encode())
        link.send(protocol.REQUEST, 1, b'{"type":"ping","id":1}')
        reply = link.receive()
    finally:
        link.close()
    assert reply is not None
    answer = json.loads(reply[2])
    assert isinstance(answer, dict)
    return answer


def test_each_sandbox_served_gets_a_socket_in_its_folder(
    bridgekeeper: Bridgekeeper, home: Home
) -> None:
    problems = bridgekeeper.server.serve_sandboxes({CHROMIUM: "chromium", FIREFOX: "firefox"})
    assert problems == {}
    assert bridgekeeper.server.sandbox_sockets() == {
        CHROMIUM: str(socket_of(home, CHROMIUM)),
        FIREFOX: str(socket_of(home, FIREFOX)),
    }
    assert ping(socket_of(home, CHROMIUM))["ok"] is True
    assert ping(socket_of(home, FIREFOX), "firefox")["ok"] is True
    assert ping(home.socket)["ok"] is True  # its own socket as before


def test_a_sandbox_no_longer_served_loses_its_socket(
    bridgekeeper: Bridgekeeper, home: Home
) -> None:
    server = bridgekeeper.server
    server.serve_sandboxes({CHROMIUM: "chromium", FIREFOX: "firefox"})
    assert server.serve_sandboxes({FIREFOX: "firefox"}) == {}
    assert not socket_of(home, CHROMIUM).exists()
    assert socket_of(home, CHROMIUM).parent.is_dir()  # our folder stays, as the app's own
    assert connect(str(socket_of(home, CHROMIUM))) is None
    assert ping(socket_of(home, FIREFOX), "firefox")["ok"] is True


def test_a_socket_whose_file_has_gone_is_made_again(bridgekeeper: Bridgekeeper, home: Home) -> None:
    server = bridgekeeper.server
    server.serve_sandboxes({CHROMIUM: "chromium"})
    socket_of(home, CHROMIUM).unlink()  # a cleaned runtime folder, a sandbox that tidied up
    assert connect(str(socket_of(home, CHROMIUM))) is None
    assert server.serve_sandboxes({CHROMIUM: "chromium"}) == {}
    assert ping(socket_of(home, CHROMIUM))["ok"] is True


def test_a_file_put_in_place_of_the_socket_is_not_removed_with_it(
    bridgekeeper: Bridgekeeper, home: Home
) -> None:
    server = bridgekeeper.server
    server.serve_sandboxes({CHROMIUM: "chromium"})
    path = socket_of(home, CHROMIUM)
    path.unlink()
    path.write_text("not ours to remove")
    server.serve_sandboxes({})
    assert path.read_text() == "not ours to remove"


def test_what_cannot_be_served_is_said_and_the_rest_served(
    bridgekeeper: Bridgekeeper, home: Home
) -> None:
    (runtime(home) / "app").mkdir(mode=0o700)
    (runtime(home) / "app" / CHROMIUM).write_text("a file, not a folder")
    problems = bridgekeeper.server.serve_sandboxes({CHROMIUM: "chromium", FIREFOX: "firefox"})
    assert list(problems) == [CHROMIUM]
    assert "is not a folder" in problems[CHROMIUM]
    assert ping(socket_of(home, FIREFOX), "firefox")["ok"] is True


def test_stopping_the_app_removes_its_sandbox_sockets(
    bridgekeeper: Bridgekeeper, home: Home
) -> None:
    bridgekeeper.server.serve_sandboxes({CHROMIUM: "chromium"})
    assert stat.S_ISSOCK(os.lstat(socket_of(home, CHROMIUM)).st_mode)
    bridgekeeper.stop()
    assert not socket_of(home, CHROMIUM).exists()
    assert not home.socket.exists()
