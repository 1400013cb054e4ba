"""secret.get / secret.set / secret.delete in-process: the real Dispatcher, prompt queue,
decision store, worker-thread runner and keychain (a real Secret Service through
``tests/support/run-with-services``); a recording presenter stands in for the dialogs, which
``test_secrets_e2e.py`` drives for real."""

from __future__ import annotations

import itertools
import json
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import keyring.backends.fail
import pytest
from hypothesis import given
from hypothesis import strategies as st
from PySide6.QtCore import QObject, Signal
from pytestqt.qtbot import QtBot

from app.core.activity import ActivityLog
from app.core.decisions import DecisionKey, DecisionStore
from app.core.dispatch import BadRequest, Dispatcher
from app.core.handlers.basics import register_basics
from app.core.handlers.secrets import VALUE_MAX, SecretHandlers, dialog_title, validate_get
from app.core.prompts import Answer, Prompt
from app.core.queue import PromptQueue
from app.qt.timers import QtScheduler
from app.qt.worker import ThreadRunner
from app.system.keychain import NO_BACKEND_MESSAGE, Keychain
from host.caller import Caller
from tests.support.needs import require

ALICE = Caller("chromium", "a" * 32, "Chromium")
MALLORY = Caller("chromium", "m" * 32, "Chromium")
_ids = itertools.count(1)


class RecordingClient(QObject):
    """A host connection as the dispatcher sees it; replies are kept and signalled."""

    replied = Signal(object)

    def __init__(self, caller: Caller) -> None:
        super().__init__()
        self._id = next(_ids)
        self._caller = caller
        self.replies: list[dict[str, Any]] = []

    @property
    def client_id(self) -> int:
        return self._id

    @property
    def caller(self) -> Caller:
        return self._caller

    def send_reply(self, seq: int, payload: bytes) -> None:
        reply = json.loads(payload)
        self.replies.append(reply)
        self.replied.emit(reply)


@dataclass
class RecordingPresenter:
    """The dialogs' interface: records what would be shown; the test answers."""

    shown: list[Prompt] = field(default_factory=list)
    closed: list[int] = field(default_factory=list)

    def show(self, prompt: Prompt, waiting: int) -> None:
        self.shown.append(prompt)

    def set_waiting(self, waiting: int) -> None:
        pass

    def close(self, key: int) -> None:
        self.closed.append(key)

    def bring_forward(self) -> bool:
        return True


class BlockingStore:
    """A FAKE keychain whose calls hang until released, like one waiting on an unlock."""

    def __init__(self) -> None:
        self.release = threading.Event()

    def get(self, caller: Caller, name: str) -> str | None:
        self.release.wait(30)
        return "late"

    def set(self, caller: Caller, name: str, value: str) -> None:
        self.release.wait(30)

    def delete(self, caller: Caller, name: str) -> bool:
        self.release.wait(30)
        return True


@dataclass
class World:
    qtbot: QtBot
    dispatcher: Dispatcher
    queue: PromptQueue
    presenter: RecordingPresenter
    decisions: DecisionStore
    activity: ActivityLog
    runner: ThreadRunner

    def send(self, client: RecordingClient, message: dict[str, Any]) -> None:
        self.dispatcher.handle(client, 1, json.dumps(message).encode())

    def ask(
        self,
        client: RecordingClient,
        message: dict[str, Any],
        answer: str | None = "allow",
        remember: bool = False,
    ) -> dict[str, Any]:
        """Send ``message``; answer its dialog with ``answer`` (None: expect no dialog);
        wait for the reply."""
        shown = len(self.presenter.shown)
        with self.qtbot.waitSignal(client.replied, timeout=10_000) as blocker:
            self.send(client, message)
            if answer is None:
                assert len(self.presenter.shown) == shown, "a dialog was shown"
            else:
                assert len(self.presenter.shown) == shown + 1, "no dialog was shown"
                prompt = self.presenter.shown[-1]
                self.queue.answer(prompt.key, Answer(answer, remember=remember))  # type: ignore[arg-type]
        reply: dict[str, Any] = blocker.args[0]
        return reply


def _demo_names(caller: Caller) -> str:
    return "Demo" if caller == ALICE else ""


def make_world(
    qtbot: QtBot,
    folder: Path,
    store: Any,
    keychain_timeout: float | None = None,
    names: Callable[[Caller], str] = _demo_names,
) -> Iterator[World]:
    """The handlers as the app composes them (its keychain timeout unless one is given)."""
    presenter = RecordingPresenter()
    decisions = DecisionStore(folder)
    decisions.load()
    activity = ActivityLog()
    queue = PromptQueue(presenter, QtScheduler(), decisions, activity)
    dispatcher = Dispatcher(lambda _caller: True)
    register_basics(dispatcher, queue, "0.0-test")
    runner = ThreadRunner()

    handlers = (
        SecretHandlers(queue, store, runner, names)
        if keychain_timeout is None
        else SecretHandlers(queue, store, runner, names, keychain_timeout)
    )
    handlers.register(dispatcher)
    yield World(qtbot, dispatcher, queue, presenter, decisions, activity, runner)
    runner.close()


@pytest.fixture
def world(qtbot: QtBot, tmp_path: Path) -> Iterator[World]:
    require("keyring")
    if os.environ.get("BK_SECRET_SERVICE") != "1":
        pytest.skip("needs a real Secret Service: run through tests/support/run-with-services")
    import secretstorage  # keyring's Secret Service client: a Linux-only dependency

    yield from make_world(qtbot, tmp_path, Keychain())
    with closing(secretstorage.dbus_init()) as bus:
        for item in secretstorage.get_default_collection(bus).get_all_items():
            if item.get_attributes().get("service", "").startswith("bridgekeeper:"):
                item.delete()


@pytest.fixture
def alice() -> RecordingClient:
    return RecordingClient(ALICE)


@pytest.fixture
def mallory() -> RecordingClient:
    return RecordingClient(MALLORY)


def test_set_get_delete_round_trip_through_the_handlers(
    world: World, alice: RecordingClient
) -> None:
    assert world.ask(alice, {"type": "secret.set", "id": 1, "name": "token", "value": "t0k"}) == {
        "id": 1,
        "ok": True,
        "result": {"decision": "allow", "reason": "user"},
    }
    assert world.ask(alice, {"type": "secret.get", "id": 2, "name": "token"})["result"] == {
        "decision": "allow",
        "reason": "user",
        "value": "t0k",
    }
    assert world.ask(alice, {"type": "secret.delete", "id": 3, "name": "token"})["result"] == {
        "decision": "allow",
        "reason": "user",
        "deleted": True,
    }
    assert world.ask(alice, {"type": "secret.delete", "id": 4, "name": "token"})["result"] == {
        "decision": "allow",
        "reason": "user",
        "deleted": False,
    }


def test_allowed_get_of_missing_name_is_not_found(world: World, alice: RecordingClient) -> None:
    reply = world.ask(alice, {"type": "secret.get", "id": "g", "name": "nothing-here"})
    assert reply == {
        "id": "g",
        "ok": False,
        "error": {
            "code": "not_found",
            "message": 'no secret named "nothing-here" is stored for this extension',
        },
    }


def test_denied_operations_touch_nothing(world: World, alice: RecordingClient) -> None:
    world.ask(alice, {"type": "secret.set", "name": "token", "value": "kept"})
    assert world.ask(alice, {"type": "secret.get", "name": "token"}, "deny")["result"] == {
        "decision": "deny",
        "reason": "user",
        "value": None,
    }
    assert world.ask(alice, {"type": "secret.set", "name": "token", "value": "new"}, "deny")[
        "result"
    ] == {"decision": "deny", "reason": "user"}
    assert world.ask(alice, {"type": "secret.delete", "name": "token"}, "deny")["result"] == {
        "decision": "deny",
        "reason": "user",
        "deleted": False,
    }
    assert Keychain().get(ALICE, "token") == "kept"


@pytest.mark.parametrize(
    ("type_", "verb", "extra"),
    [
        ("secret.get", "read", {}),
        ("secret.set", "store", {"value": "do-not-show-me"}),
        ("secret.delete", "delete", {}),
    ],
)
def test_dialog_says_plainly_who_wants_what_and_never_shows_the_value(
    world: World, alice: RecordingClient, type_: str, verb: str, extra: dict[str, str]
) -> None:
    world.ask(alice, {"type": type_, "name": "api.key", **extra}, "deny")
    prompt = world.presenter.shown[-1]
    assert prompt.title == f'Demo wants to {verb} the secret "api.key"'
    assert (prompt.browser, prompt.extension_id, prompt.extension_name) == (
        "Chromium",
        ALICE.extension,
        "",
    )
    assert prompt.can_remember
    assert not prompt.danger
    assert "do-not-show-me" not in repr(prompt)
    assert "do-not-show-me" not in repr(list(world.activity.entries()))


def test_a_secret_request_waits_60_s_for_its_dialog_and_120_s_for_the_keychain(
    world: World, alice: RecordingClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    timeouts: list[float] = []
    run = world.runner.run

    def recording(work: Any, done: Any, failed: Any, timeout: float) -> None:
        timeouts.append(timeout)
        run(work, done, failed, timeout)

    monkeypatch.setattr(world.runner, "run", recording)
    asked = time.monotonic()
    world.ask(alice, {"type": "secret.set", "name": "token", "value": "v"})
    assert 60.0 <= world.presenter.shown[-1].deadline - asked < 61.0
    assert timeouts == [120.0]  # an unlock prompt of the keychain's own included


def test_a_name_that_cannot_be_looked_up_leaves_the_id_in_the_title(
    qtbot: QtBot, tmp_path: Path, alice: RecordingClient, caplog: pytest.LogCaptureFixture
) -> None:
    def unreadable(_caller: Caller) -> str:
        raise OSError("the browser's profile is unreadable")

    for world in make_world(qtbot, tmp_path, BlockingStore(), names=unreadable):  # denied: unused
        world.ask(alice, {"type": "secret.get", "name": "t"}, "deny")
        assert world.presenter.shown[-1].title == f'{ALICE.extension} wants to read the secret "t"'
    assert "looking up the extension's name failed" in caplog.text


def test_title_of_an_unnamed_extension_uses_its_id_and_fits(world: World) -> None:
    long_id = "x" * 150 + "@example.org"
    title = dialog_title("secret.get", long_id, "n" * 100)
    assert len(title) == 200
    assert title.endswith(' wants to read the secret "' + "n" * 100 + '"')
    tail = ' wants to read the secret "token"'
    exact = "y" * (200 - len(tail))  # fits exactly: nothing is cut
    assert dialog_title("secret.get", exact, "token") == exact + tail
    assert dialog_title("secret.get", exact + "z", "token") == exact[:-1] + "…" + tail
    unnamed = RecordingClient(MALLORY)
    world.ask(unnamed, {"type": "secret.get", "name": "t"}, "deny")
    assert world.presenter.shown[-1].title == f'{MALLORY.extension} wants to read the secret "t"'


def test_remembered_get_is_answered_without_a_dialog(world: World, alice: RecordingClient) -> None:
    world.ask(alice, {"type": "secret.set", "name": "token", "value": "v1"})
    world.decisions.remember(
        DecisionKey(ALICE.family, ALICE.extension, "secret.get", "token"), "allow"
    )
    assert world.ask(alice, {"type": "secret.get", "name": "token"}, None)["result"] == {
        "decision": "allow",
        "reason": "remembered",
        "value": "v1",
    }
    # The key holds operation and name: neither another name nor another operation.
    world.ask(alice, {"type": "secret.get", "name": "other"}, "deny")
    world.ask(alice, {"type": "secret.delete", "name": "token"}, "deny")


def test_remember_ticked_covers_that_operation_and_name_only(
    world: World, alice: RecordingClient
) -> None:
    world.ask(alice, {"type": "secret.set", "name": "token", "value": "v"}, "deny", remember=True)
    assert world.ask(alice, {"type": "secret.set", "name": "token", "value": "w"}, None)[
        "result"
    ] == {"decision": "deny", "reason": "remembered"}
    world.ask(alice, {"type": "secret.set", "name": "token2", "value": "v"}, "deny")


def test_paused_app_denies_secret_requests_without_a_dialog(
    world: World, alice: RecordingClient
) -> None:
    world.queue.set_paused(True)
    assert world.ask(alice, {"type": "secret.get", "name": "token"}, None)["result"] == {
        "decision": "deny",
        "reason": "paused",
        "value": None,
    }
    assert world.ask(alice, {"type": "secret.set", "name": "t", "value": "v"}, None)["result"] == {
        "decision": "deny",
        "reason": "paused",
    }
    assert world.ask(alice, {"type": "secret.delete", "name": "token"}, None)["result"] == {
        "decision": "deny",
        "reason": "paused",
        "deleted": False,
    }


# Every way Mallory could spell Alice's "token" or her service; those the name pattern
# lets through reach only Mallory's own service, the rest are bad requests.
ALLOWED_SPELLINGS = ["token", "Token", "TOKEN", "token.", ".token", "_token", "-token", "..", "."]
REJECTED_SPELLINGS = [
    "",
    " token",
    "token ",
    "token\n",
    "../token",
    "..\\token",
    "/token",
    "a/token",
    f"bridgekeeper:chromium:{ALICE.extension}",
    f"bridgekeeper:chromium:{ALICE.extension}/token",
    f"{ALICE.extension}:token",
    "token@bridgekeeper",
    "t\u03bfken",  # Greek omicron
    "\uff54\uff4f\uff4b\uff45\uff4e",  # fullwidth "token"
    "token\u200b",  # zero-width space
    "to\u0301ken",
    "t" * 101,
    "*",
    "token%00",
]


def test_another_extension_never_reaches_alices_secret(
    world: World, alice: RecordingClient, mallory: RecordingClient
) -> None:
    world.ask(alice, {"type": "secret.set", "name": "token", "value": "alice-only"})
    for name in ALLOWED_SPELLINGS:
        get = world.ask(mallory, {"type": "secret.get", "name": name})
        assert get["error"]["code"] == "not_found", name
        delete = world.ask(mallory, {"type": "secret.delete", "name": name})
        assert delete["result"]["deleted"] is False, name
        world.ask(mallory, {"type": "secret.set", "name": name, "value": "mallory"})
    assert Keychain().get(ALICE, "token") == "alice-only"
    assert "alice-only" not in json.dumps(mallory.replies)


@pytest.mark.parametrize("name", REJECTED_SPELLINGS)
@pytest.mark.parametrize("type_", ["secret.get", "secret.set", "secret.delete"])
def test_name_outside_the_pattern_is_bad_request_naming_name(
    world: World, mallory: RecordingClient, type_: str, name: str
) -> None:
    reply = world.ask(mallory, {"type": type_, "id": 7, "name": name, "value": "v"}, None)
    if type_ != "secret.set":
        assert reply["error"] == {"code": "bad_request", "message": "unknown field 'value'"}
        reply = world.ask(mallory, {"type": type_, "id": 7, "name": name}, None)
    assert reply == {
        "id": 7,
        "ok": False,
        "error": {
            "code": "bad_request",
            "message": "field 'name' is required and must match [A-Za-z0-9._-]{1,100}",
        },
    }


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ({"type": "secret.get"}, "field 'name' is required"),
        ({"type": "secret.get", "name": 5}, "field 'name' is required"),
        ({"type": "secret.set", "name": "t"}, "field 'value' is required and must be a string"),
        ({"type": "secret.set", "name": "t", "value": None}, "field 'value' is required"),
        ({"type": "secret.set", "name": "t", "value": ["x"]}, "field 'value' is required"),
        ({"type": "secret.get", "name": "t", "service": "x"}, "unknown field 'service'"),
        ({"type": "secret.delete", "name": "t", "extension": "x"}, "unknown field 'extension'"),
    ],
)
def test_bad_fields_are_bad_request_naming_the_field(
    world: World, alice: RecordingClient, message: dict[str, Any], expected: str
) -> None:
    reply = world.ask(alice, message, None)
    assert reply["error"]["code"] == "bad_request"
    assert reply["error"]["message"].startswith(expected)


def test_value_size_limit_is_65536_characters(world: World, alice: RecordingClient) -> None:
    biggest = "é" * VALUE_MAX
    world.ask(alice, {"type": "secret.set", "name": "big", "value": biggest})
    assert world.ask(alice, {"type": "secret.get", "name": "big"})["result"]["value"] == biggest
    reply = world.ask(
        alice, {"type": "secret.set", "name": "big", "value": "z" * (VALUE_MAX + 1)}, None
    )
    assert reply["error"] == {
        "code": "bad_request",
        "message": "field 'value' is 65,537 characters; at most 65,536 are allowed",
    }
    assert Keychain().get(ALICE, "big") == biggest


def test_caller_without_extension_id_is_untrusted(world: World) -> None:
    stranger = RecordingClient(Caller("unknown", ""))
    reply = world.ask(stranger, {"type": "secret.get", "name": "token"}, None)
    assert reply["error"]["code"] == "untrusted_extension"


def test_no_backend_gives_keyring_unavailable_and_keeps_the_value_out(
    qtbot: QtBot, tmp_path: Path, alice: RecordingClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    fail = keyring.backends.fail.Keyring()  # type: ignore[no-untyped-call]
    for world in make_world(qtbot, tmp_path, Keychain(fail)):
        for message in (
            {"type": "secret.set", "name": "token", "value": "top-secret-value"},
            {"type": "secret.get", "name": "token"},
            {"type": "secret.delete", "name": "token"},
        ):
            reply = world.ask(alice, message)
            assert reply["error"] == {"code": "keyring_unavailable", "message": NO_BACKEND_MESSAGE}
    assert "top-secret-value" not in caplog.text
    assert "top-secret-value" not in json.dumps(alice.replies)


def test_hung_keychain_never_blocks_the_gui_thread_and_times_out(
    qtbot: QtBot, tmp_path: Path, alice: RecordingClient
) -> None:
    store = BlockingStore()
    for world in make_world(qtbot, tmp_path, store, keychain_timeout=1.0):
        with qtbot.waitSignal(
            alice.replied, timeout=5_000, check_params_cb=lambda r: r["id"] == "slow"
        ) as blocker:
            world.send(alice, {"type": "secret.get", "id": "slow", "name": "token"})
            world.queue.answer(world.presenter.shown[-1].key, Answer("allow"))
            # While the keychain hangs, the GUI thread still serves requests at once.
            world.send(alice, {"type": "ping", "id": "p"})
            assert alice.replies[-1]["id"] == "p"
        store.release.set()
        reply: dict[str, Any] = blocker.args[0]
        assert reply["id"] == "slow"
        assert reply["error"]["code"] == "keyring_unavailable"
        assert "did not answer within 1 seconds" in reply["error"]["message"]


@given(
    st.one_of(
        st.text(max_size=120),
        st.from_regex(r"[A-Za-z0-9._-]{1,100}", fullmatch=True),
        st.from_regex(r"[A-Za-z0-9._-]{1,99}[^A-Za-z0-9._-]", fullmatch=True),
    )
)
def test_only_ascii_names_of_the_pattern_pass_validation(name: str) -> None:
    if pattern_name(name):
        assert validate_get({"type": "secret.get", "name": name}) == {"name": name}
    else:
        with pytest.raises(BadRequest, match="'name'"):
            validate_get({"type": "secret.get", "name": name})


def pattern_name(name: str) -> bool:
    """The SPEC's [A-Za-z0-9._-]{1,100}, spelled without a regular expression."""
    return 1 <= len(name) <= 100 and all(c.isascii() and (c.isalnum() or c in "._-") for c in name)


def test_runner_works_off_the_gui_thread_and_answers_on_it(qtbot: QtBot) -> None:
    runner = ThreadRunner()
    threads: list[str] = []
    try:
        done: list[object] = []

        def work() -> int:
            threads.append(threading.current_thread().name)
            return 42

        def on_result(value: int) -> None:
            threads.append(threading.current_thread().name)
            done.append(value)

        runner.run(work, on_result, done.append, 5.0)
        qtbot.waitUntil(lambda: bool(done), timeout=5_000)
        assert done == [42]
        assert threads == ["bk-blocking", threading.main_thread().name]
        errors: list[Exception] = []
        runner.run(lambda: 1 // 0, done.append, errors.append, 5.0)
        qtbot.waitUntil(lambda: bool(errors), timeout=5_000)
        assert isinstance(errors[0], ZeroDivisionError)
    finally:
        runner.close()
