"""The requests every app answers at once: ``ping`` (on the socket thread) and ``status``."""

from __future__ import annotations

from typing import Protocol

from app.core.dispatch import Dispatcher, Request
from app.core.fields import only_fields
from host import protocol


class StatusSource(Protocol):
    """What ``status`` reports (the prompt queue is one)."""

    @property
    def paused(self) -> bool: ...

    @property
    def pending(self) -> int: ...


def register_basics(dispatcher: Dispatcher, status: StatusSource, version: str) -> None:
    def ping(request: Request) -> None:
        request.reply_ok({"pong": True, "version": version, "protocol": protocol.PROTOCOL})

    def report(request: Request) -> None:
        request.reply_ok(
            {
                "version": version,
                "protocol": protocol.PROTOCOL,
                "paused": status.paused,
                "pending": status.pending,
            }
        )

    dispatcher.register("ping", only_fields(set()), ping, any_thread=True)
    dispatcher.register("status", only_fields(set()), report)
