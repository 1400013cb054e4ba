"""The ``bridgekeeper`` command line: with no command it starts the tray app."""

from __future__ import annotations

import gc
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from app import __version__

if TYPE_CHECKING:
    import argparse

    Command = Callable[[argparse.Namespace], int]


def build_parser() -> argparse.ArgumentParser:
    import argparse

    parser = argparse.ArgumentParser(
        prog="bridgekeeper",
        description="Desktop companion for browser extensions. With no command, starts "
        "the tray app (or hands over to the one already running).",
    )
    parser.add_argument("--version", action="version", version=f"bridgekeeper {__version__}")
    parser.set_defaults(command=_run_app)
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND")
    for register in _command_modules():
        register(subparsers)
    return parser


def _command_modules() -> list[
    Callable[[argparse._SubParsersAction[argparse.ArgumentParser]], None]
]:
    """Each command module's ``register``; add new modules here."""
    from app.commands import decisions, extensions, integration

    registrations: list[Callable[[argparse._SubParsersAction[argparse.ArgumentParser]], None]] = [
        integration.register,
        extensions.register,
        decisions.register,
    ]
    return registrations


def _run_app(_args: argparse.Namespace) -> int:
    from app.main import run

    return run()


def main(argv: Sequence[str] | None = None) -> int:
    arguments = sys.argv[1:] if argv is None else list(argv)
    if not arguments:
        # The tray app, as a host or the login starts it: the parser and the commands'
        # modules are not needed (importing them would delay the first request).
        # No cyclic garbage collection while it starts: the interpreter would go over
        # the start-up's objects again and again (10-20 ms before the first dialog
        # here), for no garbage worth it. The GUI thread's collector
        # (app/qt/collector.py) collects from the time Qt is up.
        gc.disable()
        from app.main import run

        return run()
    from app.commands.common import Exit, UsageError

    parser = build_parser()
    args = parser.parse_args(arguments)
    command: Command = args.command
    try:
        return command(args)
    except UsageError as error:
        print(f"bridgekeeper: {error}", file=sys.stderr)
        return Exit.USAGE
