"""The first call after login: a host, started as a browser starts it, starts the app,
which listens before it loads Qt. The app runs with its loading of Qt held back until the
test lets it go (tests/support/held_qt.py), so requests arrive, deterministically, while
Qt loads: the socket thread answers what it can at once (a ping, a bad or an untrusted
request), and the rest waits for the GUI thread and is answered once, correctly, when it
is up: the paused state, the allow-list, the system policy and remembered decisions are
known by then, and a prompt waits for its dialog."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.core.decisions import DecisionKey, DecisionStore
from host import protocol, transport
from host.caller import CHROMIUM
from tests.support.harness import (
    CHROME_ID,
    Home,
    HostProcess,
    wait_for,
)
from tests.support.held_qt import QtGate
from tests.support.raw_client import HOST_HELLO, RawClient

pytestmark = pytest.mark.app_transport

OTHER_ID = "abcdefghijklmnopabcdefghijklmnop"
MANAGED_ID = "ponmlkjihgfedcbaponmlkjihgfedcba"
CONTROL_HELLO = {"protocol": protocol.SOCKET_PROTOCOL, "role": "control", "pid": 1}


_hosts: list[HostProcess] = []


@pytest.fixture
def gate(home: Home) -> Iterator[QtGate]:
    held = QtGate(home.root)
    yield held
    with contextlib.suppress(OSError):  # a held app is let go; the home's cleanup ends it
        held.release(timeout=0)
    while _hosts:
        _hosts.pop().kill()


def held_host(home: Home, gate: QtGate, extension: str = CHROME_ID) -> HostProcess:
    """A host as a browser starts it; the app it starts loads Qt when the gate opens."""
    host = HostProcess(
        home,
        [f"chrome-extension://{extension}/"],
        env={"BRIDGEKEEPER_APP_COMMAND": gate.app_command()},
    )
    _hosts.append(host)
    return host


def started_host(home: Home, gate: QtGate, extension: str = CHROME_ID) -> HostProcess:
    """A held host whose ping has been answered: the app listens, and Qt is held."""
    host = held_host(home, gate, extension)
    host.send({"type": "ping", "id": "first"})
    reply = host.read()
    assert reply["id"] == "first"
    assert reply["ok"] is True, reply
    return host


def replies_until_end(host: HostProcess) -> list[dict[str, Any]]:
    """Every reply the host writes until it exits (its input closed)."""
    host.close()
    replies = []
    while (reply := host.read()) is not None:
        replies.append(reply)
    host.process.wait(10)
    return replies


def painted(home: Home, kind: str = "confirm") -> bool:
    return f"({kind}) painted" in home.log_text()


def remember(home: Home, action: str, decision: str) -> None:
    folder = home.bk_home / "data"
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    store = DecisionStore(folder)
    store.load()
    store.remember(DecisionKey(CHROMIUM, CHROME_ID, "confirm", action, ""), decision)


def write_policy(home: Home, document: dict[str, Any]) -> Path:
    path = home.bk_home / "policy.json"
    path.write_text(json.dumps(document))
    path.chmod(0o644)
    return path


def control_client(home: Home) -> RawClient:
    return RawClient(home.socket, hello=CONTROL_HELLO)


def reply_of(client: RawClient) -> tuple[int, dict[str, Any]]:
    """The next reply a raw client gets: its seq and its object."""
    seq, reply = client.reply()
    assert isinstance(reply, dict), reply
    return seq, reply


def test_requests_that_arrive_while_qt_loads_are_answered_once_when_it_is_up(
    home: Home, gate: QtGate
) -> None:
    remember(home, "pay", "allow")
    host = started_host(home, gate)  # answered with Qt held: it never loads before listening
    host.send({"type": "teleport", "id": 1})
    assert host.read()["error"]["code"] == protocol.BAD_REQUEST  # no GUI needed for that
    host.send({"type": "status", "id": 2})
    host.send({"type": "confirm", "id": 3, "title": "Pay?", "action": "pay"})
    host.send({"type": "confirm", "id": 4, "title": "Sign in?", "timeout": 60})
    gate.release()
    status = host.read()
    assert status == {
        "id": 2,
        "ok": True,
        "result": {**status["result"], "paused": False, "pending": 0},
    }
    remembered = host.read()
    assert remembered["id"] == 3
    assert remembered["result"] == {"decision": "allow", "reason": "remembered", "remembered": True}
    wait_for(lambda: painted(home), 15, "the dialog of the second confirm")
    host.send({"type": "cancel", "id": 5, "target": 4})
    rest = replies_until_end(host)
    by_id = {reply["id"]: reply for reply in rest}
    assert by_id[5]["result"] == {"cancelled": True}
    assert by_id[4]["error"]["code"] == protocol.CANCELLED
    everything = ["first", 1, 2, 3, *[reply["id"] for reply in rest]]
    assert Counter(everything) == Counter(["first", 1, 2, 3, 4, 5])  # each exactly once


def test_status_after_a_pause_sent_before_the_gui_is_up_says_paused(
    home: Home, gate: QtGate
) -> None:
    host = started_host(home, gate)
    control = control_client(home)
    control.request(1, {"command": "pause"})
    control.request(2, {"command": "ping"})  # answered on the socket thread: pause is queued
    seq, pong = reply_of(control)
    assert seq == 2
    assert pong == {"id": None, "ok": True, "result": {"version": pong["result"]["version"]}}
    host.send({"type": "status", "id": "s"})
    host.send({"type": "confirm", "id": "c", "title": "Allowed while paused?"})
    gate.release()
    assert control.reply() == (1, {"id": None, "ok": True, "result": {"paused": True}})
    assert host.read()["result"]["paused"] is True
    assert host.read() == {
        "id": "c",
        "ok": True,
        "result": {"decision": "deny", "reason": "paused", "remembered": False},
    }
    assert not painted(home)
    control.close()
    assert [reply["id"] for reply in replies_until_end(host)] == []


def test_the_system_policy_holds_for_what_comes_before_the_gui_is_up(
    home: Home, gate: QtGate
) -> None:
    write_policy(home, {"version": 1, "allowed_extensions": [MANAGED_ID], "pause": False})
    host = started_host(home, gate, extension=MANAGED_ID)  # allowed by the policy alone
    stranger = held_host(home, gate, extension=OTHER_ID)
    stranger.send({"type": "ping", "id": 1})
    assert stranger.read()["error"]["code"] == protocol.UNTRUSTED_EXTENSION  # Qt still held
    control = control_client(home)
    control.request(1, {"command": "pause"})
    control.request(2, {"command": "ping"})
    assert control.reply()[0] == 2
    host.send({"type": "status", "id": "s"})
    gate.release()
    seq, refused = reply_of(control)
    assert seq == 1
    assert refused["error"]["code"] == protocol.BAD_REQUEST
    assert "system policy" in refused["error"]["message"]
    assert host.read()["result"]["paused"] is False
    control.close()
    for process in (host, stranger):
        assert replies_until_end(process) == []


def test_the_app_answers_alive_while_qt_loads(home: Home, gate: QtGate) -> None:
    host = started_host(home, gate)
    client = RawClient(home.socket, hello=HOST_HELLO)
    client.request(1, {"type": "status", "id": "s"})  # work the GUI thread has not taken
    client.send(protocol.ALIVE, 2, b"")
    assert client.receive() == (protocol.ALIVE, 2, b"")  # starting is not hanging
    gate.release()
    seq, status = reply_of(client)
    assert seq == 1
    assert status["result"]["pending"] == 0
    client.close()
    assert replies_until_end(host) == []


@pytest.mark.timeout(60)
def test_a_host_waits_through_a_qt_start_longer_than_its_patience(home: Home, gate: QtGate) -> None:
    host = started_host(home, gate)
    host.send({"type": "status", "id": "s"})
    # A start this slow: past the silence after which a host gives its app up. The app
    # answers the host's ALIVE probes meanwhile.
    time.sleep(protocol.LIVENESS_TIMEOUT + 2)
    gate.release()
    status = host.read()
    assert status["id"] == "s"
    assert status["ok"] is True, status
    assert replies_until_end(host) == []


def exited(pid: int) -> bool:
    """Gone, or a zombie its parent has not reaped yet."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] == "Z"


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_while_qt_loads_quits_cleanly(
    home: Home, gate: QtGate, signum: signal.Signals
) -> None:
    """Logging out while the app starts: it leaves as a quit does (the request that waited
    answered once, the socket removed, "stopped" logged), not killed mid-way."""
    host = started_host(home, gate)
    link = transport.connect(str(home.socket))
    assert link is not None
    pid = link.pid
    link.close()
    assert pid is not None
    host.send({"type": "status", "id": "s"})  # waits for the GUI thread
    os.kill(pid, signum)
    # Python runs the handler between bytecodes: once the held import goes on (in life,
    # Qt's import is work, not a wait).
    gate.release()
    wait_for(lambda: exited(pid), 10, "the app to exit")
    assert not home.socket.exists()
    assert "Bridgekeeper stopped" in home.log_text()
    reply = host.read()  # the work that waited is handed out before the app quits
    assert reply["id"] == "s"
    assert reply["ok"] is True, reply
    assert replies_until_end(host) == []  # once
