"""The requests every app answers at once: ``ping`` and ``status``."""

from __future__ import annotations

from collections.abc import Callable

from app import __version__
from app.core.dispatch import Dispatcher, Request, only_fields
from host import protocol


class StatusSource:
    """What ``status`` reports; the prompt queue fills in the live numbers."""

    def __init__(self) -> None:
        self.paused: Callable[[], bool] = lambda: False
        self.pending: Callable[[], int] = lambda: 0


def register_basics(dispatcher: Dispatcher, status: StatusSource) -> None:
    def ping(request: Request) -> None:
        request.reply_ok({"pong": True, "version": __version__, "protocol": protocol.PROTOCOL})

    def report(request: Request) -> None:
        request.reply_ok(
            {
                "version": __version__,
                "protocol": protocol.PROTOCOL,
                "paused": status.paused(),
                "pending": status.pending(),
            }
        )

    dispatcher.register("ping", only_fields(set()), ping, any_thread=True)
    dispatcher.register("status", only_fields(set()), report)
