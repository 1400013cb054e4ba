"""The prompt queue: requests that need the user wait here, one dialog at a time, first
come first served across all hosts, until the user answers, their timeout runs out, they
are cancelled, their host goes away, or the app is paused. A request's timeout starts
when its dialog is shown: one that waits behind others still gets all of it on screen.

Plain Python: dialogs are behind ``app.core.prompts.Presenter``, time behind
``app.core.scheduler.Scheduler``. The handlers that submit prompts are in
``app.core.handlers`` (``prompts`` and ``secrets``).
"""

from __future__ import annotations

import dataclasses
import itertools
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from app.core.activity import ActivityLog
from app.core.decisions import DecisionKey, DecisionStore
from app.core.dispatch import Client, Request
from app.core.fields import Fields
from app.core.listeners import Listeners
from app.core.prompts import Answer, Decision, Option, Presenter, Prompt, PromptKind
from app.core.scheduler import Handle, Scheduler
from host import protocol
from host.caller import Caller

log = logging.getLogger(__name__)

Reason = Literal["user", "remembered", "timeout", "paused", "closed"]
PER_EXTENSION_LIMIT = 20
OVERALL_LIMIT = 200


@dataclass(frozen=True)
class Outcome:
    """How a prompt ended when it was not cancelled."""

    decision: Decision
    """``allow``/``deny`` for confirmations, ``submit``/``cancel`` for choose and prompt."""
    reason: Reason
    choice: str | None = None
    value: str | None = None
    remembered: bool = False
    """The decision is stored: it came from the store, or the user ticked "Remember"."""

    @property
    def allowed(self) -> bool:
        return self.decision in ("allow", "submit")


OutcomeCallback = Callable[[Outcome], None]


@dataclass(frozen=True)
class Locks:
    """What the administrator's policy allows (SPEC 1.1 "System policy"); the default
    locks nothing."""

    remember: bool = True
    """False: no decision is remembered, offered to remember, or answered from memory."""
    pause: bool = True
    """False: prompts cannot be paused."""
    max_timeout: float | None = None
    """Longer timeouts are shortened to this many seconds."""


@dataclass(eq=False)
class _Pending:
    request: Request
    prompt: Prompt
    remember_key: DecisionKey | None
    on_outcome: OutcomeCallback
    timer: Handle | None = field(default=None)
    """Its timeout, running from the moment it reached the front (None before)."""


def _refusal(kind: PromptKind) -> Decision:
    return "deny" if kind == "confirm" else "cancel"


class UnattendedPresenter:
    """The presenter of an app without dialogs: shows nothing and never answers, so each
    request, in its turn at the front, waits until it times out, is cancelled, or the app
    is paused."""

    def show(self, prompt: Prompt, waiting: int) -> None:
        log.warning(
            "no dialogs in this app: %s request %s waits for its timeout", prompt.kind, prompt.key
        )

    def set_waiting(self, waiting: int) -> None:
        pass

    def close(self, key: int) -> None:
        pass

    def bring_forward(self) -> bool:
        return False


class PromptQueue:
    """Pending prompts in arrival order; the first one is the one shown.

    ``answer`` is what the presenter's answers go to. ``changed`` listeners hear when
    ``pending`` or ``paused`` changed (the tray's icon and status line).
    """

    def __init__(
        self,
        presenter: Presenter,
        scheduler: Scheduler,
        decisions: DecisionStore,
        activity: ActivityLog,
        *,
        names: Callable[[Caller], str] = lambda _caller: "",
        locks: Callable[[], Locks] = Locks,
        per_extension_limit: int = PER_EXTENSION_LIMIT,
        overall_limit: int = OVERALL_LIMIT,
    ) -> None:
        self.presenter = presenter
        self._scheduler = scheduler
        self._decisions = decisions
        self._activity = activity
        self._names = names
        self._locks = locks
        self._per_extension_limit = per_extension_limit
        self._overall_limit = overall_limit
        self._pending: list[_Pending] = []
        self._keys = itertools.count(1)
        self._paused = False
        self.changed: Listeners[[]] = Listeners("the prompt queue")

    # -- what the tray and `status` read ------------------------------------------------

    @property
    def pending(self) -> int:
        """Requests waiting for the user, the one shown included."""
        return len(self._pending)

    @property
    def paused(self) -> bool:
        return self._paused and self._locks().pause

    @property
    def pause_locked(self) -> bool:
        """The policy does not let prompts be paused."""
        return not self._locks().pause

    @property
    def remember_locked(self) -> bool:
        """The policy turns remembering decisions off."""
        return not self._locks().remember

    def prompts(self) -> list[Prompt]:
        """The pending prompts, the shown one first."""
        return [entry.prompt for entry in self._pending]

    def set_paused(self, paused: bool) -> bool:
        """Pause ("Do not disturb") or resume. Pausing answers everything pending with
        reason ``paused`` (its dialog closes), as if it had arrived while paused. False
        when the policy does not let prompts be paused (nothing changes)."""
        if paused and self.pause_locked:
            log.warning("pausing prompts refused: the system policy does not allow it")
            return False
        if paused == self._paused:
            return True
        self._paused = paused
        log.info("prompts %s", "paused" if paused else "resumed")
        if paused:
            for entry in list(self._pending):
                self._finish(entry, Outcome(_refusal(entry.prompt.kind), "paused"))
        self._changed()
        return True

    def bring_forward(self) -> bool:
        """Raise the shown dialog; False when none is shown or it could not be raised."""
        if not self._pending:
            return False
        try:
            return self.presenter.bring_forward()
        except Exception:
            log.exception("the presenter failed to bring its dialog forward")
            return False

    # -- submitting ---------------------------------------------------------------------

    def confirm(
        self,
        request: Request,
        on_outcome: OutcomeCallback,
        *,
        title: str,
        message: str = "",
        details: str = "",
        type: str = "confirm",
        action: str | None = None,
        site: str = "",
        danger: bool = False,
        allow_label: str = "",
        deny_label: str = "",
        timeout: float = 60.0,
    ) -> None:
        """Ask the user to allow or deny ``request``; ``on_outcome`` gets the decision.

        This is how other request types reuse the queue (``secret.get`` / ``secret.set`` /
        ``secret.delete``): pass your own ``title`` and ``message`` (plain text, shown
        as is; at most 200 and 4,000 characters), ``type=request.type`` and, to let the
        user remember the decision, ``action`` (for secrets, the secret's name): the
        remember key is (caller's family, extension id, ``type``, ``action``, ``site``).
        A ``danger`` request is never remembered nor answered from memory, whatever its
        ``action``: what it asks may differ from what was allowed before.

        ``on_outcome(outcome)`` is called exactly once, possibly before this returns
        (paused, remembered), with ``outcome.decision`` ``"allow"`` or ``"deny"`` and
        ``outcome.reason`` one of ``user``, ``remembered``, ``timeout``, ``paused``,
        ``closed``; the callback sends the reply (``request.reply_ok``). It is *not*
        called when the queue answers the request itself with an error: ``busy`` (too
        many pending), or ``cancelled`` (a ``cancel`` request, or its host went away).
        If the callback raises, the request is answered with error ``internal``.
        Call it on the GUI thread (the queue is not thread-safe); run a blocking keyring
        call in a worker after the outcome, not before.
        """
        remember_key = (
            DecisionKey(request.caller.family, request.caller.extension, type, action, site)
            if action and not danger and not self.remember_locked
            else None
        )
        self._submit(
            request,
            on_outcome,
            remember_key,
            kind="confirm",
            title=title,
            message=message,
            details=details,
            site=site,
            danger=danger,
            allow_label=allow_label,
            deny_label=deny_label,
            timeout=timeout,
            can_remember=remember_key is not None,
            remember_locked=bool(action) and not danger and self.remember_locked,
        )

    def choose(self, request: Request, fields: Fields, on_outcome: OutcomeCallback) -> None:
        self._submit(
            request,
            on_outcome,
            None,
            kind="choose",
            title=fields["title"],
            message=fields["message"],
            options=tuple(Option(oid, label) for oid, label in fields["options"]),
            default=fields["default"],
            timeout=fields["timeout"],
        )

    def ask_text(self, request: Request, fields: Fields, on_outcome: OutcomeCallback) -> None:
        self._submit(
            request,
            on_outcome,
            None,
            kind="prompt",
            title=fields["title"],
            message=fields["message"],
            placeholder=fields["placeholder"],
            default=fields["default"],
            secret=fields["secret"],
            max_length=fields["max_length"],
            timeout=fields["timeout"],
        )

    def _submit(
        self,
        request: Request,
        on_outcome: OutcomeCallback,
        remember_key: DecisionKey | None,
        *,
        kind: PromptKind,
        timeout: float,
        **content: Any,
    ) -> None:
        caller = request.caller
        timeout = self._shortened(timeout)
        prompt = Prompt(
            key=next(self._keys),
            kind=kind,
            browser=caller.label,
            extension_id=caller.extension,
            extension_name=self._extension_name(caller),
            family=caller.family,
            timeout=timeout,
            **content,
        )
        entry = _Pending(request, prompt, remember_key, on_outcome)
        if self.paused:
            self._deliver(entry, Outcome(_refusal(kind), "paused"))
            return
        remembered = self._from_memory(entry)
        if remembered is not None:
            self._deliver(entry, remembered)
            return
        busy = self._busy(caller)
        if busy:
            request.reply_error(protocol.BUSY, busy)
            self._record(entry, "busy")
            return
        self._pending.append(entry)
        if len(self._pending) == 1:
            self._show_front()
        else:
            self._tell_waiting()
        self._changed()

    def _busy(self, caller: Caller) -> str:
        if len(self._pending) >= self._overall_limit:
            return (
                f"{len(self._pending)} requests already wait for the user (at most "
                f"{self._overall_limit}); try again later"
            )
        mine = sum(
            1
            for entry in self._pending
            if (entry.request.caller.family, entry.request.caller.extension)
            == (caller.family, caller.extension)
        )
        if mine >= self._per_extension_limit:
            return (
                f"{mine} requests from this extension already wait for the user (at most "
                f"{self._per_extension_limit}); try again later"
            )
        return ""

    # -- ending -------------------------------------------------------------------------

    def answer(self, key: int, answer: Answer) -> None:
        """The user answered the dialog of ``key`` (the presenter reports it)."""
        entry = next((e for e in self._pending if e.prompt.key == key), None)
        if entry is None:
            log.info("answer for prompt %s, which no longer waits; ignored", key)
            return
        prompt = entry.prompt
        problem = _check_answer(prompt, answer)
        if problem:
            log.error("presenter answered prompt %s with %r: %s; ignored", key, answer, problem)
            return
        if answer.closed:
            outcome = Outcome(_refusal(prompt.kind), "closed")
        else:
            # "remembered" only when it is on disk; a failed write reached the user
            # through the store's ``problems``. The policy may have locked remembering
            # since the dialog opened.
            remembered = (
                answer.remember
                and entry.remember_key is not None
                and self._locks().remember
                and self._decisions.remember(entry.remember_key, answer.decision)
            )
            outcome = Outcome(
                answer.decision,
                "user",
                choice=answer.choice if answer.decision == "submit" else None,
                value=answer.value if answer.decision == "submit" else None,
                remembered=remembered,
            )
        self._finish(entry, outcome)

    def cancel(self, client: Client, target: protocol.RequestId) -> bool:
        """Answer the pending requests of ``client`` with id ``target`` with error
        ``cancelled``; False when there is none."""
        found = [
            e
            for e in self._pending
            if e.request.client.client_id == client.client_id and e.request.rid == target
        ]
        for entry in found:
            if entry in self._pending:  # not answered from memory as the queue moved on
                self._finish(entry, None, "cancelled by a cancel request")
        return bool(found)

    def client_gone(self, client: Client) -> None:
        """Its host went away: its pending requests are answered with error ``cancelled``
        (delivered if the host ended cleanly) and their dialogs close."""
        for entry in [e for e in self._pending if e.request.client.client_id == client.client_id]:
            # Closing its shown dialog moves the queue on, which may answer the next of its
            # requests from a remembered decision: that one is answered already.
            if entry in self._pending:
                self._finish(entry, None, "cancelled: the browser closed the connection")

    def deny_all_from(self, key: int) -> int:
        """The user's "Deny all waiting from this extension" in the dialog of ``key``: that
        prompt and every other pending one from the same extension (browser family and
        id) are refused (deny or cancel) with reason ``user``, never remembered. Returns
        how many were answered (0 when ``key`` no longer waits)."""
        shown = next((e for e in self._pending if e.prompt.key == key), None)
        if shown is None:
            return 0
        caller = shown.request.caller
        mine = [
            entry
            for entry in self._pending
            if (entry.request.caller.family, entry.request.caller.extension)
            == (caller.family, caller.extension)
        ]
        # The others first: the dialog of ``key`` closes last, so none of them is shown
        # only to be closed at once.
        mine.remove(shown)
        for entry in [*mine, shown]:
            self._finish(entry, Outcome(_refusal(entry.prompt.kind), "user"))
        log.info(
            "denied %d waiting request(s) from one extension at the user's word", len(mine) + 1
        )
        return len(mine) + 1

    def _expire(self, entry: _Pending) -> None:
        entry.timer = None
        if entry in self._pending:
            self._finish(entry, Outcome(_refusal(entry.prompt.kind), "timeout"))

    def _finish(self, entry: _Pending, outcome: Outcome | None, error: str = "") -> None:
        """Take ``entry`` out (closing its dialog, showing the next), then answer it."""
        was_shown = self._pending[0] is entry
        self._pending.remove(entry)
        if entry.timer is not None:
            entry.timer.cancel()
            entry.timer = None
        if was_shown:
            self._call_presenter("close", entry.prompt.key)
            if self._pending:
                self._show_front()
        else:
            self._tell_waiting()
        if outcome is None:
            entry.request.reply_error(protocol.CANCELLED, error)
            self._record(entry, "cancelled")
        else:
            self._deliver(entry, outcome)
        self._changed()

    def _deliver(self, entry: _Pending, outcome: Outcome) -> None:
        try:
            entry.on_outcome(outcome)
        except Exception:
            log.exception("handling the outcome of %s failed", entry.request.type)
            if not entry.request.answered:
                entry.request.reply_error(protocol.INTERNAL, "Bridgekeeper failed; see its log")
        self._record(entry, outcome.decision, outcome.reason)

    # -- helpers ------------------------------------------------------------------------

    def _show_front(self) -> None:
        # A request that waited behind one the user answered with "Remember this decision"
        # is answered from memory when its turn comes, as it would have been on arrival.
        while self._pending and (outcome := self._from_memory(self._pending[0])) is not None:
            self._deliver(self._pending.pop(0), outcome)
        if not self._pending:
            return
        # The countdown starts now, before the presenter is called: a dialog that fails
        # to show still times out.
        entry = self._pending[0]
        if entry.timer is None:
            timeout = entry.prompt.timeout
            entry.prompt = dataclasses.replace(
                entry.prompt, deadline=self._scheduler.now() + timeout
            )
            entry.timer = self._scheduler.call_later(timeout, lambda: self._expire(entry))
        self._call_presenter("show", entry.prompt, len(self._pending) - 1)

    def _from_memory(self, entry: _Pending) -> Outcome | None:
        """The remembered outcome of ``entry``, or None (nothing stored, or no key)."""
        if entry.remember_key is None:
            return None
        stored = self._decisions.lookup(entry.remember_key)
        if stored is None:
            return None
        decision: Decision = "allow" if stored == "allow" else "deny"
        return Outcome(decision, "remembered", remembered=True)

    def _tell_waiting(self) -> None:
        if self._pending:
            self._call_presenter("set_waiting", len(self._pending) - 1)

    def _call_presenter(self, method: str, *args: Any) -> None:
        # A broken dialog must not lose requests: their timeouts still answer them.
        try:
            getattr(self.presenter, method)(*args)
        except Exception:
            log.exception("the presenter failed in %s", method)

    def _changed(self) -> None:
        self.changed.emit()

    def _shortened(self, timeout: float) -> float:
        """``timeout``, or the policy's ``max_timeout`` when that is shorter."""
        limit = self._locks().max_timeout
        return timeout if limit is None else min(timeout, limit)

    def _extension_name(self, caller: Caller) -> str:
        try:
            return self._names(caller)
        except Exception:
            log.exception("looking up the extension's name failed")
            return ""

    def _record(self, entry: _Pending, outcome: str, reason: str = "") -> None:
        prompt = entry.prompt
        self._activity.record(
            browser=prompt.browser,
            extension_id=prompt.extension_id,
            extension_name=prompt.extension_name,
            type=entry.request.type,
            title=prompt.title,
            outcome=outcome,
            reason=reason,
            family=prompt.family,
            site=prompt.site,
        )


def _check_answer(prompt: Prompt, answer: Answer) -> str:
    allowed = ("allow", "deny") if prompt.kind == "confirm" else ("submit", "cancel")
    if answer.decision not in allowed:
        return f"a {prompt.kind} is answered with {' or '.join(allowed)}"
    if answer.closed or answer.decision != "submit":
        return ""
    if prompt.kind == "choose" and answer.choice not in [o.id for o in prompt.options]:
        return "the choice is not one of the options"
    if prompt.kind == "prompt" and (
        not isinstance(answer.value, str) or len(answer.value) > prompt.max_length
    ):
        return "the value is missing or longer than max_length"
    return ""
