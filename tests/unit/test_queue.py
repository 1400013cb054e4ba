"""The prompt queue without widgets: the real Dispatcher and queue, a recording presenter
(the dialogs' interface) and a manual clock in place of Qt's timers."""

from __future__ import annotations

import heapq
import itertools
import json
import logging
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from app.core.activity import ActivityLog
from app.core.decisions import DecisionKey, DecisionStore
from app.core.dispatch import Dispatcher, Request
from app.core.handlers.basics import register_basics
from app.core.handlers.prompts import NOTIFICATION_TITLE, notification, register_prompts
from app.core.prompts import Answer, Decision, Prompt
from app.core.queue import Outcome, PromptQueue, UnattendedPresenter
from app.core.text import neutralise
from host.caller import Caller
from tests.support.filesystems import FULL_KINDS, full

CHROME = Caller("chromium", "a" * 32, "Chromium")
OTHER = Caller("chromium", "b" * 32, "Chromium")
LATER = Caller("chromium", "c" * 32, "Chromium")
FIREFOX = Caller("firefox", "demo@example.org", "Firefox")
_client_ids = itertools.count(1)


class ManualScheduler:
    """A fake clock for the queue: time moves only when the test calls ``advance``."""

    def __init__(self) -> None:
        self.time = 1000.0
        self._heap: list[tuple[float, int, ManualHandle]] = []
        self._order = itertools.count()

    def now(self) -> float:
        return self.time

    def call_later(self, seconds: float, fn: Callable[[], None]) -> ManualHandle:
        handle = ManualHandle(fn)
        heapq.heappush(self._heap, (self.time + seconds, next(self._order), handle))
        return handle

    def advance(self, seconds: float) -> None:
        end = self.time + seconds
        while self._heap and self._heap[0][0] <= end:
            when, _, handle = heapq.heappop(self._heap)
            self.time = when
            if not handle.cancelled:
                handle.cancelled = True
                handle.fn()
        self.time = end

    @property
    def scheduled(self) -> int:
        return sum(1 for _, _, h in self._heap if not h.cancelled)


@dataclass
class ManualHandle:
    fn: Callable[[], None]
    cancelled: bool = False

    def cancel(self) -> None:
        self.cancelled = True


@dataclass
class RecordingPresenter:
    """Stands in for the dialogs: records what the queue asks; the test answers."""

    shown: list[Prompt] = field(default_factory=list)
    closed: list[int] = field(default_factory=list)
    waiting: list[int] = field(default_factory=list)
    raise_ok: bool = True
    current: Prompt | None = None

    def show(self, prompt: Prompt, waiting: int) -> None:
        assert self.current is None, "a second dialog while one is shown"
        self.shown.append(prompt)
        self.waiting.append(waiting)
        self.current = prompt

    def set_waiting(self, waiting: int) -> None:
        self.waiting.append(waiting)

    def close(self, key: int) -> None:
        assert self.current is not None
        assert self.current.key == key
        self.closed.append(key)
        self.current = None

    def bring_forward(self) -> bool:
        return self.current is not None and self.raise_ok


@dataclass
class FakeClient:
    """A host connection as the dispatcher sees it; records the replies it is sent."""

    caller: Caller = CHROME
    client_id: int = field(default_factory=lambda: next(_client_ids))
    replies: dict[int, Any] = field(default_factory=dict)

    def send_reply(self, seq: int, payload: bytes) -> None:
        assert seq not in self.replies, f"request {seq} answered twice"
        self.replies[seq] = json.loads(payload)


@dataclass
class Rig:
    dispatcher: Dispatcher
    queue: PromptQueue
    presenter: RecordingPresenter
    clock: ManualScheduler
    decisions: DecisionStore
    activity: ActivityLog
    notified: list[tuple[str, str]]
    _seq: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def send(self, client: FakeClient, message: dict[str, Any]) -> int:
        seq = next(self._seq)
        self.dispatcher.handle(client, seq, json.dumps(message).encode())
        return seq

    def answer(self, answer: Answer) -> None:
        assert self.presenter.current is not None
        self.queue.answer(self.presenter.current.key, answer)


class ErrorRecords(logging.Handler):
    """Errors the queue logged: a presenter assertion or a double answer is caught and
    logged by the code under test, so the tests look here for them."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.messages: list[str] = []
        self.allowed: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@pytest.fixture(autouse=True)
def logged_errors() -> Iterator[ErrorRecords]:
    """Fails a test in which the queue or dispatcher logged an error the test did not
    declare in ``allowed`` (message prefixes)."""
    handler = ErrorRecords()
    logger = logging.getLogger("app")
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
    unexpected = [m for m in handler.messages if not m.startswith(tuple(handler.allowed))]
    assert unexpected == []


@pytest.fixture
def rig(tmp_path: Path) -> Rig:
    presenter = RecordingPresenter()
    clock = ManualScheduler()
    decisions = DecisionStore(tmp_path)
    decisions.load()
    activity = ActivityLog()
    notified: list[tuple[str, str]] = []
    dispatcher = Dispatcher(lambda _caller: True)

    def names(caller: Caller) -> str:
        return "Demo" if caller == CHROME else ""

    queue = PromptQueue(presenter, clock, decisions, activity, names=names)
    register_basics(dispatcher, queue, "0.0-test")

    def notify(title: str, message: str) -> bool:
        notified.append((title, message))
        return True

    register_prompts(dispatcher, queue, activity, notify, names)
    return Rig(dispatcher, queue, presenter, clock, decisions, activity, notified)


def confirm(rid: object = 1, **fields: Any) -> dict[str, Any]:
    return {"type": "confirm", "id": rid, "title": "Allow it?", **fields}


OPTIONS = [{"id": "a", "label": "Apple"}, {"id": "b", "label": "Banana"}]


def test_confirm_shows_dialog_with_host_identity_and_user_allow_replies(rig: Rig) -> None:
    client = FakeClient()
    seq = rig.send(client, confirm(site="https://Example.com:443/path?q=1", message="<b>hi</b>"))
    prompt = rig.presenter.current
    assert prompt is not None
    assert (prompt.kind, prompt.browser, prompt.extension_id, prompt.extension_name) == (
        "confirm",
        "Chromium",
        CHROME.extension,
        "Demo",
    )
    assert prompt.site == "https://example.com"
    assert prompt.message == "<b>hi</b>"  # kept as text; the dialog shows it literally
    assert prompt.deadline == rig.clock.now() + 60
    assert client.replies == {}
    rig.answer(Answer("allow"))
    assert client.replies[seq] == {
        "id": 1,
        "ok": True,
        "result": {"decision": "allow", "reason": "user", "remembered": False},
    }
    assert rig.presenter.closed == [prompt.key]
    assert rig.queue.pending == 0
    assert rig.clock.scheduled == 0  # the timeout was cancelled


def test_closed_window_answers_deny_with_reason_closed_and_cancel_for_choose(rig: Rig) -> None:
    client = FakeClient()
    first = rig.send(client, confirm())
    second = rig.send(client, {"type": "choose", "id": 2, "title": "Pick", "options": OPTIONS})
    rig.answer(Answer("deny", closed=True, remember=True))
    rig.answer(Answer("cancel", closed=True))
    assert client.replies[first]["result"] == {
        "decision": "deny",
        "reason": "closed",
        "remembered": False,
    }
    assert client.replies[second]["result"] == {
        "decision": "cancel",
        "choice": None,
        "reason": "closed",
    }


def test_choose_and_prompt_submit_results(rig: Rig) -> None:
    client = FakeClient()
    chosen = rig.send(
        client, {"type": "choose", "id": "c", "title": "Pick", "options": OPTIONS, "default": "b"}
    )
    shown = rig.presenter.current
    assert shown is not None
    assert shown.default == "b"
    assert [o.label for o in shown.options] == ["Apple", "Banana"]
    rig.answer(Answer("submit", choice="a"))
    typed = rig.send(
        client, {"type": "prompt", "id": "p", "title": "Name?", "secret": True, "max_length": 5}
    )
    asked = rig.presenter.current
    assert asked is not None
    assert (asked.secret, asked.max_length) == (True, 5)
    rig.answer(Answer("submit", value="hello"))
    assert client.replies[chosen]["result"] == {
        "decision": "submit",
        "choice": "a",
        "reason": "user",
    }
    assert client.replies[typed]["result"] == {
        "decision": "submit",
        "value": "hello",
        "reason": "user",
    }


@pytest.mark.parametrize(
    ("message", "answer"),
    [
        ({"type": "choose", "title": "t", "options": OPTIONS}, Answer("submit", choice="zzz")),
        ({"type": "prompt", "title": "t", "max_length": 3}, Answer("submit", value="toolong")),
        ({"type": "confirm", "title": "t"}, Answer("submit")),
    ],
    ids=["choice-not-an-option", "value-too-long", "wrong-decision-kind"],
)
def test_answer_the_request_cannot_have_is_ignored_and_dialog_stays(
    rig: Rig, message: dict[str, Any], answer: Answer, logged_errors: ErrorRecords
) -> None:
    logged_errors.allowed.append("presenter answered prompt")
    client = FakeClient()
    rig.send(client, message)
    rig.answer(answer)
    assert client.replies == {}
    assert rig.presenter.current is not None
    assert rig.queue.pending == 1


def test_one_dialog_at_a_time_first_come_first_served_across_hosts(rig: Rig) -> None:
    one, two, three = FakeClient(), FakeClient(FIREFOX), FakeClient(OTHER)
    s1 = rig.send(one, confirm(title="one"))
    s2 = rig.send(two, confirm(title="two"))
    s3 = rig.send(three, confirm(title="three"))
    assert [p.title for p in rig.presenter.shown] == ["one"]
    assert rig.presenter.waiting == [0, 1, 2]
    assert rig.queue.pending == 3
    rig.answer(Answer("deny"))
    assert [p.title for p in rig.presenter.shown] == ["one", "two"]
    assert rig.presenter.waiting[-1] == 1  # "1 of 2": one more waits behind it
    rig.answer(Answer("allow"))
    rig.answer(Answer("allow"))
    assert [p.title for p in rig.presenter.shown] == ["one", "two", "three"]
    assert one.replies[s1]["result"]["decision"] == "deny"
    assert two.replies[s2]["result"]["decision"] == "allow"
    assert three.replies[s3]["result"]["decision"] == "allow"
    assert rig.presenter.current is None


def test_deny_all_from_one_extension_refuses_its_waiting_requests_only(
    rig: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    mine, mine_too, other = FakeClient(), FakeClient(), FakeClient(OTHER)
    first = rig.send(mine, confirm(title="one", action="pay"))
    theirs = rig.send(other, confirm(title="theirs"))
    choice = rig.send(mine_too, {"type": "choose", "id": 2, "title": "pick", "options": OPTIONS})
    text = rig.send(mine, {"type": "prompt", "id": 3, "title": "type"})
    shown = rig.presenter.current
    assert shown is not None
    assert shown.family == "chromium"
    with caplog.at_level(logging.INFO, logger="app.core.queue"):
        assert rig.queue.deny_all_from(shown.key) == 3
    assert "denied 3 waiting request(s) from one extension at the user's word" in caplog.messages
    assert mine.replies[first]["result"] == {
        "decision": "deny",
        "reason": "user",
        "remembered": False,
    }
    assert mine_too.replies[choice]["result"] == {
        "decision": "cancel",
        "choice": None,
        "reason": "user",
    }
    assert mine.replies[text]["result"] == {"decision": "cancel", "value": None, "reason": "user"}
    # The shown dialog closed last and the other extension's request is shown next; none
    # of the denied ones was shown on the way.
    assert [p.title for p in rig.presenter.shown] == ["one", "theirs"]
    assert rig.presenter.closed == [shown.key]
    assert theirs not in other.replies
    assert rig.queue.pending == 1
    assert rig.decisions.all() == []  # never remembered


@pytest.mark.parametrize("shown_caller", [FIREFOX, OTHER], ids=["firefox", "other"])
def test_deny_all_spares_extensions_that_sort_before_it(rig: Rig, shown_caller: Caller) -> None:
    """Whatever the order of their names, only the shown extension's requests go."""
    shown_client, chrome = FakeClient(shown_caller), FakeClient(CHROME)
    rig.send(shown_client, confirm(rid="x"))
    waiting = rig.send(chrome, confirm(rid="y"))
    shown = rig.presenter.current
    assert shown is not None
    assert (CHROME.family, CHROME.extension) < (shown_caller.family, shown_caller.extension)
    assert rig.queue.deny_all_from(shown.key) == 1
    assert waiting not in chrome.replies


def test_deny_all_from_a_prompt_that_no_longer_waits_does_nothing(rig: Rig) -> None:
    """The dialog answered (or timed out) as the user clicked "Deny all": nothing else is
    refused, least of all another extension's request that came after it."""
    client, other = FakeClient(), FakeClient(FIREFOX)
    seq = rig.send(client, confirm())
    shown = rig.presenter.current
    assert shown is not None
    later = rig.send(other, confirm(rid="later"))
    rig.answer(Answer("allow"))
    assert rig.queue.deny_all_from(shown.key) == 0
    assert client.replies[seq]["result"]["decision"] == "allow"
    assert later not in other.replies
    assert rig.queue.pending == 1


def test_timeout_counts_from_when_the_dialog_is_shown_and_answers_each_kind(rig: Rig) -> None:
    client = FakeClient()
    first = rig.send(client, confirm(timeout=10))
    rig.clock.advance(4)
    second = rig.send(
        client, {"type": "choose", "id": 2, "title": "t", "options": OPTIONS, "timeout": 8}
    )
    third = rig.send(client, {"type": "prompt", "id": 3, "title": "t", "timeout": 5})
    # Only the shown one counts down; the others have not started.
    assert [p.deadline for p in rig.queue.prompts()] == [1010, 0.0, 0.0]
    assert rig.clock.scheduled == 1
    rig.clock.advance(5.9)  # t=9.9: the prompt has waited longer than its 5 s: no matter
    assert client.replies == {}
    rig.clock.advance(0.1)  # t=10: the shown confirm times out, its dialog closes
    assert client.replies[first]["result"] == {
        "decision": "deny",
        "reason": "timeout",
        "remembered": False,
    }
    assert rig.presenter.closed == [rig.presenter.shown[0].key]
    shown = rig.presenter.current
    assert shown is not None
    assert (shown.kind, shown.deadline) == ("choose", 1010 + 8)  # all of its 8 s on screen
    rig.clock.advance(7.9)
    assert second not in client.replies
    rig.clock.advance(0.1)
    assert client.replies[second]["result"] == {
        "decision": "cancel",
        "choice": None,
        "reason": "timeout",
    }
    assert rig.presenter.current is not None
    assert rig.presenter.current.deadline == 1018 + 5
    rig.clock.advance(4.9)
    assert third not in client.replies
    rig.clock.advance(0.1)
    assert client.replies[third]["result"] == {
        "decision": "cancel",
        "value": None,
        "reason": "timeout",
    }
    assert rig.presenter.current is None
    assert [p.deadline - p.timeout for p in rig.presenter.shown] == [1000, 1010, 1018]


def test_a_request_waiting_behind_others_is_still_answered_when_cancelled_or_its_host_goes(
    rig: Rig,
) -> None:
    front, waiting = FakeClient(), FakeClient(FIREFOX)
    rig.send(front, confirm(rid="front", timeout=600))
    cancelled = rig.send(waiting, confirm(rid="c", timeout=5))
    gone = rig.send(waiting, confirm(rid="g", timeout=5))
    rig.clock.advance(60)  # long past their own timeouts, which have not started
    assert waiting.replies == {}
    rig.send(waiting, {"type": "cancel", "target": "c"})
    assert waiting.replies[cancelled]["error"]["code"] == "cancelled"
    rig.queue.client_gone(waiting)
    assert waiting.replies[gone]["error"]["code"] == "cancelled"
    assert rig.queue.pending == 1
    assert [p.key for p in rig.presenter.shown] == [rig.queue.prompts()[0].key]
    assert rig.presenter.waiting[-1] == 0  # "1 of 1" again


def test_answer_after_timeout_is_ignored(rig: Rig) -> None:
    client = FakeClient()
    seq = rig.send(client, confirm(timeout=5))
    key = rig.presenter.shown[0].key
    rig.clock.advance(5)
    rig.queue.answer(key, Answer("allow"))
    assert client.replies[seq]["result"]["reason"] == "timeout"


def test_busy_at_21_pending_from_one_extension_while_others_still_queue(rig: Rig) -> None:
    client = FakeClient()
    seqs = [rig.send(client, confirm(rid=i)) for i in range(21)]
    assert client.replies == {
        seqs[20]: {
            "id": 20,
            "ok": False,
            "error": {
                "code": "busy",
                "message": "20 requests from this extension already wait for the user (at most "
                "20); try again later",
            },
        }
    }
    other = FakeClient(OTHER)
    other_seq = rig.send(other, confirm())
    assert other.replies == {}
    # Another connection of the same extension counts towards the same limit.
    again = FakeClient(CHROME)
    again_seq = rig.send(again, confirm())
    assert again.replies[again_seq]["error"]["code"] == "busy"
    assert rig.queue.pending == 21
    assert other_seq not in other.replies
    assert [e.outcome for e in rig.activity.entries()] == ["busy", "busy"]


def test_each_extension_counts_only_its_own_waiting_requests(rig: Rig) -> None:
    """The limit of 20 is per extension, whichever way the ids sort: 20 from "b..." do not
    make "a..." (before it) nor "c..." (after it) busy."""
    middle, before, after = FakeClient(OTHER), FakeClient(CHROME), FakeClient(LATER)
    for i in range(20):
        rig.send(middle, confirm(rid=i))
    rig.send(before, confirm(rid="a"))
    rig.send(after, confirm(rid="c"))
    assert (middle.replies, before.replies, after.replies) == ({}, {}, {})
    assert rig.queue.pending == 22


def test_a_cancel_that_carries_a_choice_or_a_value_answers_neither(rig: Rig) -> None:
    client = FakeClient()
    choose = rig.send(client, {"type": "choose", "id": 1, "title": "Pick", "options": OPTIONS})
    prompt = rig.send(client, {"type": "prompt", "id": 2, "title": "Name"})
    rig.answer(Answer("cancel", choice="b", value="typed"))
    rig.answer(Answer("cancel", choice="b", value="typed"))
    assert client.replies[choose]["result"] == {
        "decision": "cancel",
        "choice": None,
        "reason": "user",
    }
    assert client.replies[prompt]["result"] == {
        "decision": "cancel",
        "value": None,
        "reason": "user",
    }
    # Cancel needs no choice nor value at all.
    bare = [
        rig.send(client, {"type": "choose", "id": 3, "title": "Pick", "options": OPTIONS}),
        rig.send(client, {"type": "prompt", "id": 4, "title": "Name"}),
    ]
    rig.answer(Answer("cancel"))
    rig.answer(Answer("cancel"))
    assert [client.replies[seq]["result"]["decision"] for seq in bare] == ["cancel", "cancel"]


def test_deny_all_of_two_says_two(rig: Rig, caplog: pytest.LogCaptureFixture) -> None:
    client = FakeClient()
    rig.send(client, confirm(rid=1))
    rig.send(client, confirm(rid=2))
    shown = rig.presenter.current
    assert shown is not None
    with caplog.at_level(logging.INFO, logger="app.core.queue"):
        assert rig.queue.deny_all_from(shown.key) == 2
    assert "denied 2 waiting request(s) from one extension at the user's word" in caplog.messages
    assert rig.queue.pending == 0


def test_an_app_without_dialogs_has_nothing_to_bring_forward(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    clock = ManualScheduler()
    queue = PromptQueue(UnattendedPresenter(), clock, DecisionStore(tmp_path), ActivityLog())
    dispatcher = Dispatcher(lambda _c: True)
    register_prompts(dispatcher, queue, ActivityLog(), lambda _t, _m: False)
    client = FakeClient()
    with caplog.at_level(logging.WARNING, logger="app.core.queue"):
        dispatcher.handle(client, 1, json.dumps(confirm(timeout=5)).encode())
    assert "no dialogs in this app: confirm request 1 waits for its timeout" in caplog.messages
    assert queue.bring_forward() is False
    clock.advance(5)
    assert client.replies[1]["result"]["reason"] == "timeout"


def test_each_dialog_is_told_how_many_wait_behind_it(rig: Rig) -> None:
    client = FakeClient()
    for i in range(4):
        rig.send(client, confirm(rid=i))
    # Shown with none behind it; then 1, 2, 3 arrive behind; then the queue moves on.
    assert rig.presenter.waiting == [0, 1, 2, 3]
    for _ in range(4):
        rig.answer(Answer("deny"))
    assert rig.presenter.waiting == [0, 1, 2, 3, 2, 1, 0]


def test_busy_at_200_pending_in_all(tmp_path: Path) -> None:
    presenter, clock, store = RecordingPresenter(), ManualScheduler(), DecisionStore(tmp_path)
    queue = PromptQueue(presenter, clock, store, ActivityLog())  # the app's own limits
    dispatcher = Dispatcher(lambda _c: True)
    register_prompts(dispatcher, queue, ActivityLog(), lambda _t, _m: False)
    clients = [FakeClient(Caller("chromium", f"{i:032d}")) for i in range(201)]
    for index, client in enumerate(clients):
        dispatcher.handle(client, 1, json.dumps(confirm(rid=index)).encode())
    assert [c for c in clients if c.replies] == [clients[200]]
    assert clients[200].replies[1]["error"] == {
        "code": "busy",
        "message": "200 requests already wait for the user (at most 200); try again later",
    }
    clock.advance(200 * 60)  # each in turn gets its 60 s on screen
    assert all(c.replies[1]["result"]["reason"] == "timeout" for c in clients[:200])


def test_cancel_answers_target_with_cancelled_and_shows_next(rig: Rig) -> None:
    client = FakeClient()
    target = rig.send(client, confirm(rid="t"))
    behind = rig.send(client, confirm(rid="u", title="behind"))
    cancel = rig.send(client, {"type": "cancel", "id": "c", "target": "t"})
    assert client.replies[target] == {
        "id": "t",
        "ok": False,
        "error": {"code": "cancelled", "message": "cancelled by a cancel request"},
    }
    assert client.replies[cancel] == {"id": "c", "ok": True, "result": {"cancelled": True}}
    assert rig.presenter.current is not None
    assert rig.presenter.current.title == "behind"
    assert behind not in client.replies
    assert rig.clock.scheduled == 1


@pytest.mark.parametrize("rid", ["request-1000", 100_000])
def test_cancel_finds_its_target_by_value(rig: Rig, rid: object) -> None:
    client = FakeClient()
    target = rig.send(client, confirm(rid=rid))
    cancel = rig.send(client, {"type": "cancel", "id": "c", "target": rid})
    assert client.replies[target]["error"]["code"] == "cancelled"
    assert client.replies[cancel]["result"] == {"cancelled": True}


def test_cancel_unknown_id_or_other_hosts_request_is_false(rig: Rig) -> None:
    mine, theirs = FakeClient(), FakeClient()
    theirs_seq = rig.send(theirs, confirm(rid=5))
    unknown = rig.send(mine, {"type": "cancel", "id": 1, "target": "nope"})
    foreign = rig.send(mine, {"type": "cancel", "id": 2, "target": 5})
    wrong_type = rig.send(theirs, {"type": "cancel", "id": 3, "target": "5"})
    for seq, client in ((unknown, mine), (foreign, mine), (wrong_type, theirs)):
        assert client.replies[seq]["result"] == {"cancelled": False}
    assert theirs_seq not in theirs.replies
    assert rig.queue.pending == 1


def test_a_late_answer_to_a_prompt_that_no_longer_waits_answers_nothing(rig: Rig) -> None:
    """The user clicks Allow as the dialog's request is cancelled: the click must not
    land on the request shown next (another extension's)."""
    first, other = FakeClient(), FakeClient(FIREFOX)
    rig.send(first, confirm(rid="a"))
    stale = rig.presenter.current
    assert stale is not None
    rig.send(first, {"type": "cancel", "id": 2, "target": "a"})
    later = rig.send(other, confirm(rid="b"))
    assert rig.presenter.current is not None
    assert rig.presenter.current.key != stale.key
    rig.queue.answer(stale.key, Answer("allow"))
    assert later not in other.replies
    assert rig.queue.pending == 1


@pytest.mark.parametrize("first", ["canceller", "owner"])
def test_a_host_cancels_only_its_own_request_of_that_id(rig: Rig, first: str) -> None:
    """Two hosts used the same id: a cancel reaches the canceller's request, whichever
    host connected first."""
    canceller, owner = FakeClient(), FakeClient()
    if first == "owner":
        owner, canceller = canceller, owner
    theirs = rig.send(owner, confirm(rid="same"))
    mine = rig.send(canceller, confirm(rid="same"))
    cancel = rig.send(canceller, {"type": "cancel", "id": 9, "target": "same"})
    assert canceller.replies[cancel]["result"] == {"cancelled": True}
    assert canceller.replies[mine]["error"]["code"] == "cancelled"
    assert theirs not in owner.replies
    assert rig.queue.pending == 1


def test_client_gone_cancels_all_its_requests_and_closes_the_shown_dialog(rig: Rig) -> None:
    leaving, staying = FakeClient(), FakeClient(FIREFOX)
    a = rig.send(leaving, confirm(rid="a"))
    s = rig.send(staying, confirm(rid="s", title="stays"))
    b = rig.send(leaving, confirm(rid="b"))
    shown_key = rig.presenter.shown[0].key
    rig.queue.client_gone(leaving)
    assert {seq: r["error"]["code"] for seq, r in leaving.replies.items()} == {
        a: "cancelled",
        b: "cancelled",
    }
    assert rig.presenter.closed == [shown_key]
    assert rig.presenter.current is not None
    assert rig.presenter.current.title == "stays"
    assert s not in staying.replies
    assert rig.queue.pending == 1
    assert rig.clock.scheduled == 1


def test_paused_denies_confirm_cancels_choose_prompt_without_dialog(rig: Rig) -> None:
    changes: list[tuple[bool, int]] = []
    rig.queue.changed.add(lambda: changes.append((rig.queue.paused, rig.queue.pending)))
    client = FakeClient()
    waiting = rig.send(client, confirm(rid="w"))
    rig.queue.set_paused(True)  # what was waiting is answered too; its dialog closes
    assert client.replies[waiting]["result"] == {
        "decision": "deny",
        "reason": "paused",
        "remembered": False,
    }
    assert rig.presenter.current is None
    c = rig.send(client, confirm())
    ch = rig.send(client, {"type": "choose", "title": "t", "options": OPTIONS})
    p = rig.send(client, {"type": "prompt", "title": "t"})
    n = rig.send(client, {"type": "notify", "title": "t"})
    st = rig.send(client, {"type": "status"})
    assert client.replies[c]["result"]["reason"] == "paused"
    assert client.replies[ch]["result"] == {
        "decision": "cancel",
        "choice": None,
        "reason": "paused",
    }
    assert client.replies[p]["result"] == {"decision": "cancel", "value": None, "reason": "paused"}
    assert client.replies[n]["result"] == {"shown": False}
    assert client.replies[st]["result"]["paused"] is True
    assert len(rig.presenter.shown) == 1
    assert rig.notified == []
    rig.queue.set_paused(False)
    rig.send(client, confirm())
    assert len(rig.presenter.shown) == 2
    assert changes == [(False, 1), (True, 0), (True, 0), (False, 0), (False, 1)]


def test_remembered_decision_is_stored_and_answers_next_request_at_once(rig: Rig) -> None:
    client = FakeClient()
    first = rig.send(client, confirm(action="open-tab", site="https://example.com/a"))
    assert rig.presenter.current is not None
    assert rig.presenter.current.can_remember
    rig.answer(Answer("allow", remember=True))
    assert client.replies[first]["result"] == {
        "decision": "allow",
        "reason": "user",
        "remembered": True,
    }
    again = rig.send(client, confirm(rid=2, action="open-tab", site="https://EXAMPLE.com/b"))
    assert client.replies[again]["result"] == {
        "decision": "allow",
        "reason": "remembered",
        "remembered": True,
    }
    assert len(rig.presenter.shown) == 1
    # Any other part of the key differs: asked again.
    rig.send(client, confirm(rid=3, action="open-tab", site="https://other.example"))
    rig.send(client, confirm(rid=4, action="open-tab"))
    rig.send(FakeClient(OTHER), confirm(rid=5, action="open-tab", site="https://example.com"))
    assert rig.queue.pending == 3
    reloaded = DecisionStore(rig.decisions.path.parent)
    reloaded.load()
    assert (
        reloaded.lookup(
            DecisionKey("chromium", CHROME.extension, "confirm", "open-tab", "https://example.com")
        )
        == "allow"
    )


def test_requests_waiting_behind_a_remembered_answer_are_answered_from_memory(
    rig: Rig,
) -> None:
    client = FakeClient()
    first = rig.send(client, confirm(action="open-tab", site="https://example.com"))
    other = rig.send(client, confirm(rid=2, title="other", action="close-tab"))
    same = rig.send(client, confirm(rid=3, action="open-tab", site="https://example.com"))
    rig.answer(Answer("deny", remember=True))
    assert client.replies[first]["result"]["reason"] == "user"
    assert same not in client.replies  # behind "other", which still asks
    assert rig.presenter.current is not None
    assert rig.presenter.current.title == "other"
    rig.answer(Answer("allow"))
    assert client.replies[other]["result"]["reason"] == "user"
    assert client.replies[same]["result"] == {
        "decision": "deny",
        "reason": "remembered",
        "remembered": True,
    }
    assert [p.title for p in rig.presenter.shown] == ["Allow it?", "other"]
    assert rig.queue.pending == 0
    assert rig.clock.scheduled == 0


def test_only_the_request_a_remembered_answer_covers_is_answered_from_memory(rig: Rig) -> None:
    client = FakeClient()
    rig.send(client, confirm(action="open-tab", site="https://example.com"))
    same = rig.send(client, confirm(rid=2, action="open-tab", site="https://example.com"))
    other = rig.send(client, confirm(rid=3, title="other", action="close-tab"))
    rig.answer(Answer("allow", remember=True))
    assert client.replies[same]["result"]["reason"] == "remembered"
    assert other not in client.replies  # it still asks
    assert rig.presenter.current is not None
    assert rig.presenter.current.title == "other"


def test_a_host_gone_while_its_next_request_is_answered_from_memory(rig: Rig) -> None:
    """Found by the exactly-once property: the host goes while its shown request is ahead
    of another of its requests that a decision remembered meanwhile covers; closing the
    first answers the second from memory, and the host's leaving must not answer it
    again (it raised, and the rest of the host's requests were never answered)."""
    other_tab, host = FakeClient(), FakeClient()
    rig.send(other_tab, confirm(action="open-tab", site="https://example.com"))
    shown = rig.send(host, confirm(rid=2, title="shown", action="close-tab"))
    covered = rig.send(host, confirm(rid=3, action="open-tab", site="https://example.com"))
    last = rig.send(host, confirm(rid=4, title="last"))
    rig.answer(Answer("allow", remember=True))  # the other tab's: remembered
    assert rig.presenter.current is not None
    assert rig.presenter.current.title == "shown"
    rig.queue.client_gone(host)
    assert client_gone_replies(host, shown, covered, last) == [
        "cancelled",
        "remembered",
        "cancelled",
    ]
    assert rig.queue.pending == 0
    assert rig.presenter.current is None


def test_a_cancel_of_an_id_used_twice_while_the_second_is_answered_from_memory(
    rig: Rig,
) -> None:
    other_tab, host = FakeClient(), FakeClient()
    rig.send(other_tab, confirm(action="open-tab", site="https://example.com"))
    shown = rig.send(host, confirm(rid="dup", title="shown", action="close-tab"))
    covered = rig.send(host, confirm(rid="dup", action="open-tab", site="https://example.com"))
    rig.answer(Answer("allow", remember=True))
    cancel = rig.send(host, {"type": "cancel", "id": "c", "target": "dup"})
    assert client_gone_replies(host, shown, covered) == ["cancelled", "remembered"]
    assert host.replies[cancel]["result"] == {"cancelled": True}
    assert rig.queue.pending == 0


def client_gone_replies(client: FakeClient, *seqs: int) -> list[str]:
    return [
        client.replies[seq]["error"]["code"]
        if not client.replies[seq]["ok"]
        else client.replies[seq]["result"]["reason"]
        for seq in seqs
    ]


def test_remember_without_action_or_on_close_stores_nothing(rig: Rig) -> None:
    client = FakeClient()
    rig.send(client, confirm())
    assert rig.presenter.current is not None
    assert not rig.presenter.current.can_remember
    rig.answer(Answer("allow", remember=True))
    rig.send(client, confirm(action="x"))
    rig.answer(Answer("deny", remember=True, closed=True))
    assert rig.decisions.all() == []


SEND_PAYMENT = {"action": "send-payment", "site": "https://wallet.example", "danger": True}


def test_danger_request_is_never_remembered_and_offers_no_remember_box(rig: Rig) -> None:
    client = FakeClient()
    first = rig.send(client, confirm(rid=1, title="Send 0.5 ETH?", **SEND_PAYMENT))
    prompt = rig.presenter.current
    assert prompt is not None
    assert (prompt.danger, prompt.can_remember) == (True, False)
    rig.answer(Answer("allow", remember=True))  # a presenter that sends it anyway
    assert client.replies[first]["result"] == {
        "decision": "allow",
        "reason": "user",
        "remembered": False,
    }
    assert rig.decisions.all() == []
    second = rig.send(client, confirm(rid=2, title="Send 50 ETH to 0xevil?", **SEND_PAYMENT))
    assert second not in client.replies
    assert rig.presenter.current is not None
    assert rig.presenter.current.title == "Send 50 ETH to 0xevil?"


def test_danger_request_is_not_answered_by_a_decision_remembered_without_danger(
    rig: Rig,
) -> None:
    key = DecisionKey(
        "chromium", CHROME.extension, "confirm", "send-payment", "https://wallet.example"
    )
    assert rig.decisions.remember(key, "allow")
    client = FakeClient()
    plain = rig.send(client, confirm(rid=1, action="send-payment", site="https://wallet.example"))
    assert client.replies[plain]["result"]["reason"] == "remembered"
    danger = rig.send(client, confirm(rid=2, title="Send 50 ETH to 0xevil?", **SEND_PAYMENT))
    assert danger not in client.replies
    assert rig.queue.pending == 1
    rig.answer(Answer("deny"))
    assert client.replies[danger]["result"] == {
        "decision": "deny",
        "reason": "user",
        "remembered": False,
    }
    assert rig.decisions.lookup(key) == "allow"  # the danger answer touched no memory


@pytest.mark.parametrize("kind", FULL_KINDS)
def test_remember_on_a_full_disk_replies_false_tells_the_user_and_asks_again(
    tmp_path: Path, kind: str, logged_errors: ErrorRecords
) -> None:
    logged_errors.allowed.append("Your decision was not remembered")
    folder = tmp_path / "data"
    presenter, clock = RecordingPresenter(), ManualScheduler()
    store = DecisionStore(folder)
    problems: list[str] = []
    store.problems.add(problems.append)
    queue = PromptQueue(presenter, clock, store, ActivityLog())
    dispatcher = Dispatcher(lambda _c: True)
    register_prompts(dispatcher, queue, ActivityLog(), lambda _t, _m: False)
    client = FakeClient()
    request = confirm(action="open-tab", site="https://example.com")
    with full(kind, folder):
        store.load()
        dispatcher.handle(client, 1, json.dumps(request).encode())
        assert presenter.current is not None
        queue.answer(presenter.current.key, Answer("allow", remember=True))
        assert client.replies[1]["result"] == {
            "decision": "allow",
            "reason": "user",
            "remembered": False,
        }
        [problem] = problems
        assert "Your decision was not remembered" in problem
        assert str(store.path) in problem
        assert "The same request will ask you again" in problem
        # Not kept in memory either: the next identical request asks.
        dispatcher.handle(client, 2, json.dumps(request).encode())
        assert 2 not in client.replies
        assert queue.pending == 1
        assert store.all() == []
    assert not store.path.exists()


def test_secret_confirmation_api_remembers_under_its_own_type(rig: Rig) -> None:
    client = FakeClient()
    outcomes: list[Outcome] = []

    def ask() -> None:
        request = Request(client, 99, "s", "secret.get", {"name": "token"})
        rig.queue.confirm(
            request,
            outcomes.append,
            title="Read secret “token”?",
            type="secret.get",
            action="token",
        )

    ask()
    prompt = rig.presenter.current
    assert prompt is not None
    assert (prompt.title, prompt.danger, prompt.can_remember) == (
        "Read secret “token”?",
        False,
        True,
    )
    rig.answer(Answer("allow", remember=True))
    ask()
    assert outcomes == [
        Outcome("allow", "user", remembered=True),
        Outcome("allow", "remembered", remembered=True),
    ]
    assert client.replies == {}  # the caller's callback replies, not the queue
    assert [r.key for r in rig.decisions.all()] == [
        DecisionKey("chromium", CHROME.extension, "secret.get", "token", "")
    ]
    assert [e.type for e in rig.activity.entries()] == ["secret.get", "secret.get"]


def test_outcome_callback_failure_answers_internal(rig: Rig, logged_errors: ErrorRecords) -> None:
    logged_errors.allowed.append("handling the outcome of secret.set failed")
    client = FakeClient()

    def broken(_outcome: Outcome) -> None:
        raise RuntimeError("boom")

    rig.queue.confirm(Request(client, 7, 1, "secret.set", {}), broken, title="t")
    rig.answer(Answer("allow"))
    assert client.replies[7]["error"]["code"] == "internal"


def test_notify_shows_under_a_title_naming_the_extension(rig: Rig) -> None:
    client = FakeClient()
    seq = rig.send(client, {"type": "notify", "id": 1, "title": "Done", "message": "<i>x</i>"})
    assert client.replies[seq]["result"] == {"shown": True}
    rig.send(FakeClient(FIREFOX), {"type": "notify", "title": "Saved"})
    assert rig.notified == [
        (f"Extension: Demo ({CHROME.extension})", "Done\n<i>x</i>"),
        ("Extension: demo@example.org", "Saved"),  # no install-time name: the id alone
    ]
    assert rig.presenter.shown == []


def test_notify_cannot_pass_for_the_apps_own_notice(rig: Rig) -> None:
    # The app's own notice says "Browser integration"; an extension's title never
    # stands where the app's title goes, whatever it writes.
    rig.send(
        FakeClient(),
        {
            "type": "notify",
            "title": "Browser integration\nChromium: installed",
            "message": "Extension: none",
        },
    )
    [(title, body)] = rig.notified
    assert title == f"Extension: Demo ({CHROME.extension})"
    assert body == "Browser integration\u21b5Chromium: installed\nExtension: none"


# Every notice the app shows of its own: none may begin as an extension's does.
# The app's own notices, their titles written out or through Qt's translate(context, ...).
_OWN_NOTICE = re.compile(
    r"""(?:notify|notice\.emit|unfocused\.emit)\(\s*"""
    r"""(?:(?:QCoreApplication\.)?translate\(\s*"[^"]*",\s*)?f?(["'])(.*?)\1""",
    re.S,
)


def test_none_of_the_apps_own_notices_is_titled_like_an_extensions() -> None:
    app = Path(__file__).resolve().parents[2] / "app"
    titles = [
        match.group(2)
        for path in app.rglob("*.py")
        for match in _OWN_NOTICE.finditer(path.read_text(encoding="utf-8"))
    ]
    assert {"Browser integration", "Remembered decisions", "A request is waiting"} <= set(titles)
    assert [t for t in titles if t.startswith(NOTIFICATION_TITLE.strip())] == []


@given(
    name=st.text(max_size=60),
    title=st.text(min_size=1, max_size=200),
    message=st.text(max_size=200),
)
def test_a_notifications_title_is_always_the_apps_and_one_line(
    name: str, title: str, message: str
) -> None:
    shown_title, body = notification(CHROME, name, title, message)
    assert shown_title.startswith(NOTIFICATION_TITLE)
    assert shown_title.endswith(CHROME.extension) or shown_title.endswith(f"({CHROME.extension})")
    assert neutralise(shown_title, multiline=False) == shown_title  # one line, nothing hidden
    assert body.split("\n", 1)[0] == neutralise(title, multiline=False)


def test_a_notifications_title_is_one_line_whatever_the_extension_id_holds() -> None:
    # A Firefox id comes from the extension's manifest, through the browser's argv.
    caller = Caller("firefox", "evil\nBrowser integration")
    shown_title, _ = notification(caller, "", "t", "")
    assert "\n" not in shown_title
    assert shown_title == f"{NOTIFICATION_TITLE}evil\u21b5Browser integration"


def test_activity_records_whether_a_notification_was_shown(rig: Rig) -> None:
    rig.send(FakeClient(), {"type": "notify", "title": "Done"})
    rig.queue.set_paused(True)
    rig.send(FakeClient(), {"type": "notify", "title": "Quiet"})
    assert [(e.title, e.outcome, e.reason) for e in rig.activity.entries()] == [
        ("Done", "shown", ""),
        ("Quiet", "not shown", "paused"),
    ]


def test_a_notification_that_fails_to_show_is_answered_not_shown_once(
    tmp_path: Path, logged_errors: ErrorRecords
) -> None:
    """The desktop's notification service failing, or the extension's name not found,
    still gives one answer, ``shown: false``, and a line in the log."""

    def names(_caller: Caller) -> str:
        raise OSError("the browser's profile is unreadable")

    def notify(_title: str, _message: str) -> bool:
        raise RuntimeError("no notification service")

    activity = ActivityLog()
    queue = PromptQueue(
        RecordingPresenter(), ManualScheduler(), DecisionStore(tmp_path), activity, names=names
    )
    dispatcher = Dispatcher(lambda _caller: True)
    register_prompts(dispatcher, queue, activity, notify, names)
    client = FakeClient()
    dispatcher.handle(client, 1, json.dumps({"type": "notify", "id": 1, "title": "t"}).encode())
    assert client.replies == {1: {"id": 1, "ok": True, "result": {"shown": False}}}
    assert [e.outcome for e in activity.entries()] == ["not shown"]
    expected = ["looking up the extension's name failed", "showing a notification failed"]
    assert logged_errors.messages == expected
    logged_errors.allowed.extend(expected)


def test_bring_forward_only_when_a_dialog_is_shown(rig: Rig) -> None:
    assert rig.queue.bring_forward() is False
    rig.send(FakeClient(), confirm())
    assert rig.queue.bring_forward() is True
    rig.presenter.raise_ok = False
    assert rig.queue.bring_forward() is False


def test_activity_records_outcomes_without_values(rig: Rig) -> None:
    client = FakeClient()
    rig.send(client, {"type": "prompt", "title": "Password?", "secret": True})
    rig.answer(Answer("submit", value="hunter2"))
    rig.send(client, confirm(rid="x", title="Go?"))
    rig.send(client, {"type": "cancel", "target": "x"})
    entries = rig.activity.entries()
    assert [(e.type, e.title, e.outcome, e.reason, e.extension_name) for e in entries] == [
        ("prompt", "Password?", "submit", "user", "Demo"),
        ("confirm", "Go?", "cancelled", "", "Demo"),
    ]
    rig.send(client, confirm(rid="y", title="Site?", site="https://example.com/x"))
    rig.answer(Answer("deny"))
    newest = rig.activity.entries()[-1]
    assert (newest.family, newest.site) == ("chromium", "https://example.com")
    assert "hunter2" not in repr(entries)


def test_activity_keeps_the_last_200() -> None:
    log = ActivityLog()
    for i in range(250):
        log.record(
            browser="b",
            extension_id="e",
            extension_name="",
            type="confirm",
            title=str(i),
            outcome="allow",
        )
    titles = [e.title for e in log.entries()]
    assert (len(titles), titles[0], titles[-1]) == (200, "50", "249")


def test_a_name_lookup_that_fails_shows_the_dialog_without_a_name(
    tmp_path: Path, logged_errors: ErrorRecords
) -> None:
    logged_errors.allowed.append("looking up the extension's name failed")

    def names(_caller: Caller) -> str:
        raise OSError("settings unreadable")

    presenter = RecordingPresenter()
    queue = PromptQueue(
        presenter, ManualScheduler(), DecisionStore(tmp_path), ActivityLog(), names=names
    )
    dispatcher = Dispatcher(lambda _c: True)
    register_prompts(dispatcher, queue, ActivityLog(), lambda _t, _m: False)
    dispatcher.handle(FakeClient(), 1, json.dumps(confirm()).encode())
    assert presenter.current is not None
    assert (presenter.current.extension_name, presenter.current.extension_id) == ("", "a" * 32)
    assert logged_errors.messages == ["looking up the extension's name failed"]


class FailingPresenter(RecordingPresenter):
    def show(self, prompt: Prompt, waiting: int) -> None:
        raise RuntimeError("no screen")

    def close(self, key: int) -> None:
        raise RuntimeError("no screen")

    def bring_forward(self) -> bool:
        raise RuntimeError("no screen")


def test_broken_presenter_loses_nothing(tmp_path: Path, logged_errors: ErrorRecords) -> None:
    logged_errors.allowed.append("the presenter failed in")
    logged_errors.allowed.append("the presenter failed to bring its dialog forward")
    clock = ManualScheduler()
    queue = PromptQueue(FailingPresenter(), clock, DecisionStore(tmp_path), ActivityLog())
    dispatcher = Dispatcher(lambda _c: True)
    register_prompts(dispatcher, queue, ActivityLog(), lambda _t, _m: False)
    client = FakeClient()
    dispatcher.handle(client, 1, json.dumps(confirm(timeout=5)).encode())
    assert queue.bring_forward() is False  # "Show waiting requests" finds nothing to raise
    clock.advance(5)
    assert client.replies[1]["result"]["reason"] == "timeout"


# -- any sequence of events: every request answered exactly once ---------------------

SECRET_OPS = ["secret.get", "secret.set", "secret.delete"]
KEYCHAIN_ENDINGS = ["ok", "unavailable", "timeout", "bug"]

EVENTS = st.lists(
    st.one_of(
        st.tuples(st.just("confirm"), st.integers(0, 2), st.integers(5, 20), st.booleans()),
        st.tuples(st.just("choose"), st.integers(0, 2), st.integers(5, 20)),
        st.tuples(st.just("prompt"), st.integers(0, 2), st.integers(5, 20)),
        st.tuples(st.just("secret"), st.integers(0, 2), st.sampled_from(SECRET_OPS)),
        st.tuples(st.just("notify"), st.integers(0, 2)),
        st.tuples(st.just("status"), st.integers(0, 2)),
        st.tuples(st.just("ping"), st.integers(0, 2), st.booleans()),
        st.tuples(st.just("answer"), st.sampled_from(["yes", "no", "closed", "remember"])),
        st.tuples(st.just("keychain"), st.integers(0, 5), st.sampled_from(KEYCHAIN_ENDINGS)),
        st.tuples(st.just("cancel"), st.integers(0, 2), st.integers(0, 30)),
        st.tuples(st.just("gone"), st.integers(0, 2)),
        st.tuples(st.just("advance"), st.floats(0, 10)),
        st.tuples(st.just("pause"), st.booleans()),
    ),
    max_size=60,
)


class FakeKeychain:
    """A FAKE keychain (the real one is tests/unit/test_keychain.py's and the e2e suite's
    Secret Service): one dict per caller, as the real one keeps one service per caller."""

    def __init__(self) -> None:
        self.items: dict[tuple[Caller, str], str] = {}

    def get(self, caller: Caller, name: str) -> str | None:
        return self.items.get((caller, name))

    def set(self, caller: Caller, name: str, value: str) -> None:
        self.items[(caller, name)] = value

    def delete(self, caller: Caller, name: str) -> bool:
        return self.items.pop((caller, name), None) is not None


class ManualRunner:
    """Keychain calls wait here until the test ends them, in any order, each in one of the
    ways a real one ends: a result, the keychain unavailable, its timeout, or a bug."""

    def __init__(self) -> None:
        self.jobs: list[tuple[Callable[[], Any], Callable[[Any], None], Callable[..., None]]] = []

    def run(
        self,
        work: Callable[[], Any],
        on_result: Callable[[Any], None],
        on_error: Callable[[Exception], None],
        timeout: float,
    ) -> None:
        self.jobs.append((work, on_result, on_error))

    def end(self, pick: int, how: str) -> None:
        from app.core.blocking import BlockingTimeout
        from app.core.handlers.secrets import KeychainUnavailable

        if not self.jobs:
            return
        work, on_result, on_error = self.jobs.pop(pick % len(self.jobs))
        if how == "ok":
            on_result(work())
        elif how == "unavailable":
            on_error(KeychainUnavailable("the keychain is locked"))
        elif how == "timeout":
            on_error(BlockingTimeout())
        else:
            on_error(RuntimeError("a bug"))


class Scenario:
    """Three hosts, small limits, every request type, and the events a test throws at
    them."""

    def __init__(self, folder: Path) -> None:
        from app.core.handlers.secrets import register_secrets

        self.presenter, self.clock = RecordingPresenter(), ManualScheduler()
        self.queue = PromptQueue(
            self.presenter,
            self.clock,
            DecisionStore(folder),
            ActivityLog(),
            per_extension_limit=4,
            overall_limit=6,
        )
        self.dispatcher = Dispatcher(lambda _c: True)
        register_basics(self.dispatcher, self.queue, "0.0-test")
        register_prompts(self.dispatcher, self.queue, ActivityLog(), lambda _t, _m: True)
        self.runner = ManualRunner()
        register_secrets(self.dispatcher, self.queue, FakeKeychain(), self.runner)
        self.clients = [FakeClient(caller) for caller in (CHROME, OTHER, FIREFOX)]
        self.sent: dict[int, list[int]] = {c.client_id: [] for c in self.clients}
        self.ids: dict[int, list[int]] = {c.client_id: [] for c in self.clients}
        self._seqs = itertools.count(1)

    def send(self, client: FakeClient, message: object) -> None:
        seq = next(self._seqs)
        self.sent[client.client_id].append(seq)
        self.dispatcher.handle(client, seq, json.dumps(message).encode())

    def request(self, client: FakeClient, message: dict[str, Any]) -> None:
        rid = next(self._seqs)
        self.ids[client.client_id].append(rid)
        self.send(client, {"id": rid, **message})

    def ask(self, kind: str, client: FakeClient, timeout: int, action: bool = False) -> None:
        message: dict[str, Any] = {"type": kind, "title": "t", "timeout": timeout}
        if kind == "choose":
            message["options"] = OPTIONS
        elif action:
            message["action"] = "act"
        self.request(client, message)

    def secret(self, client: FakeClient, operation: str) -> None:
        message: dict[str, Any] = {"type": operation, "name": "token"}
        if operation == "secret.set":
            message["value"] = "s3cret"
        self.request(client, message)

    def answer(self, how: str) -> None:
        prompt = self.presenter.current
        if prompt is None:
            return
        yes = how in ("yes", "remember")
        if prompt.kind == "confirm":
            decision: Decision = "allow" if yes else "deny"
        else:
            decision = "submit" if yes else "cancel"
        self.queue.answer(
            prompt.key,
            Answer(
                decision,
                choice="a" if yes and prompt.kind == "choose" else None,
                value="typed" if yes and prompt.kind == "prompt" else None,
                closed=how == "closed",
                remember=how == "remember",
            ),
        )

    def cancel(self, client: FakeClient, pick: int) -> None:
        # Mostly an id this client did send (pending or not), sometimes an unknown one.
        known = self.ids[client.client_id]
        target = known[pick % len(known)] if known and pick < 25 else -1
        self.send(client, {"type": "cancel", "target": target})

    def apply(self, event: tuple[Any, ...]) -> None:
        kind = event[0]
        if kind in ("confirm", "choose", "prompt"):
            self.ask(kind, self.clients[event[1]], event[2], *event[3:])
        elif kind == "secret":
            self.secret(self.clients[event[1]], event[2])
        elif kind == "notify":
            self.request(self.clients[event[1]], {"type": "notify", "title": "t"})
        elif kind == "status":
            self.request(self.clients[event[1]], {"type": "status"})
        elif kind == "ping":
            self.send(self.clients[event[1]], "ping" if event[2] else {"type": "ping"})
        elif kind == "answer":
            self.answer(event[1])
        elif kind == "keychain":
            self.runner.end(event[1], event[2])
        elif kind == "cancel":
            self.cancel(self.clients[event[1]], event[2])
        elif kind == "gone":
            self.queue.client_gone(self.clients[event[1]])
        elif kind == "advance":
            self.clock.advance(event[1])
        elif kind == "pause":
            self.queue.set_paused(event[1])


def _with_each_keychain_ending(test: Callable[..., None]) -> Callable[..., None]:
    """Examples run every time besides the random ones: each secret operation, allowed,
    then its keychain call ended each way (three events in a row that random sequences
    seldom draw)."""
    for operation in SECRET_OPS:
        for how in KEYCHAIN_ENDINGS:
            test = example(
                events=[("secret", 0, operation), ("answer", "yes"), ("keychain", 0, how)]
            )(test)
    return test


# logged_errors is shared by the examples on purpose: it only collects what is logged.
@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(events=EVENTS)
@_with_each_keychain_ending
def test_any_event_sequence_answers_every_request_exactly_once(
    tmp_path_factory: pytest.TempPathFactory,
    logged_errors: ErrorRecords,
    events: list[tuple[Any, ...]],
) -> None:
    # The keychain "bug" ending is logged (its kind only) and answered internal.
    bug = [f"{operation} failed: RuntimeError" for operation in SECRET_OPS]
    logged_errors.allowed[:] = sorted({*logged_errors.allowed, *bug})
    scenario = Scenario(tmp_path_factory.mktemp("d"))
    errors = ErrorRecords()  # "answered twice" and presenter misuse are logged errors
    logging.getLogger("app").addHandler(errors)
    try:
        for event in events:
            scenario.apply(event)
            # After every event: the dialog shown is the front of the queue, or none.
            front = scenario.queue.prompts()[:1]
            assert ([scenario.presenter.current] if scenario.presenter.current else []) == front
            assert scenario.queue.pending <= 6
        # Each prompt gets its whole timeout once shown, one after another (secrets' 60 s),
        # and every keychain call ends.
        scenario.clock.advance(6 * 60 + 1)
        while scenario.runner.jobs:
            scenario.runner.end(0, "ok")
    finally:
        logging.getLogger("app").removeHandler(errors)
    # The one error expected: the keychain "bug" ending, answered internal.
    assert [
        m for m in errors.messages if not re.fullmatch(r"secret\.\w+ failed: RuntimeError", m)
    ] == []
    assert scenario.queue.pending == 0
    assert scenario.presenter.current is None
    assert scenario.clock.scheduled == 0
    for client in scenario.clients:
        assert sorted(client.replies) == sorted(scenario.sent[client.client_id])


def test_pausing_and_resuming_are_logged_as_such(
    rig: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="app.core.queue"):
        assert rig.queue.set_paused(True) is True
        assert rig.queue.set_paused(True) is True  # no change: nothing logged
        assert rig.queue.set_paused(False) is True
    assert [r.getMessage() for r in caplog.records] == ["prompts paused", "prompts resumed"]
