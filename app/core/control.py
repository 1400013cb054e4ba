"""The running app's control commands: what the ``bridgekeeper`` command line asks of it
(hand-over, pause, resume, remembered decisions). One handler per command in one table;
each returns its result or raises ``ControlError``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from app.core.decisions import DecisionStore
from app.core.queue import PromptQueue
from host import protocol

ControlHandler = Callable[[dict[str, Any]], dict[str, Any]]
"""Takes the command's message, returns the reply's ``result``."""


class ControlError(Exception):
    """A command that cannot be done; ``code`` is one of the contract's error codes."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class ControlTable:
    """Commands by name, and which of them may run on the socket thread."""

    def __init__(self) -> None:
        self._handlers: dict[str, ControlHandler] = {}
        self._any_thread: set[str] = set()

    def register(self, name: str, handler: ControlHandler, *, any_thread: bool = False) -> None:
        if name in self._handlers:
            raise ValueError(f"control command {name!r} registered twice")
        self._handlers[name] = handler
        if any_thread:
            self._any_thread.add(name)

    def get(self, name: str) -> ControlHandler | None:
        return self._handlers.get(name)

    def any_thread(self, name: str) -> bool:
        return name in self._any_thread


def unknown_key(key: str) -> str:
    return f"no remembered decision has the key {key!r}; `bridgekeeper decisions list` shows them"


def register_app_controls(
    table: ControlTable, version: str, queue: PromptQueue, store: DecisionStore
) -> None:
    """``ping`` (is it there, which version), ``pause``, ``resume``, ``show`` (bring the
    waiting dialog forward: a second ``bridgekeeper`` hands over with it), ``decisions``
    and ``forget``."""

    def ping(_message: dict[str, Any]) -> dict[str, Any]:
        return {"version": version}

    def pause(_message: dict[str, Any]) -> dict[str, Any]:
        if not queue.set_paused(True):
            raise ControlError(
                protocol.BAD_REQUEST, "pausing prompts is turned off by the system policy"
            )
        return {"paused": True}

    def resume(_message: dict[str, Any]) -> dict[str, Any]:
        queue.set_paused(False)
        return {"paused": False}

    def show(_message: dict[str, Any]) -> dict[str, Any]:
        return {"shown": queue.bring_forward()}

    def decisions(_message: dict[str, Any]) -> dict[str, Any]:
        return {"decisions": [r.to_json() for r in store.all()], "problem": store.problem}

    def forget(message: dict[str, Any]) -> dict[str, Any]:
        if message.get("all") is True:
            return {"forgotten": store.forget_all()}
        key = message.get("key")
        if not isinstance(key, str):
            raise ControlError(protocol.BAD_REQUEST, "forget needs a key or all")
        if not store.forget(key):
            raise ControlError(protocol.NOT_FOUND, unknown_key(key))
        return {"forgotten": 1}

    table.register("ping", ping, any_thread=True)
    table.register("pause", pause)
    table.register("resume", resume)
    table.register("show", show)
    table.register("decisions", decisions)
    table.register("forget", forget)
