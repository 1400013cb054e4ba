"""``bridgekeeper decisions list|forget``, ``pause`` and ``resume``, and the running app's
side of the control commands they send (``control_handlers``).

Decisions go through the running app when there is one, so that its copy in memory and
the file stay the same; otherwise the command reads or edits the file itself.
"""

from __future__ import annotations

import argparse
import datetime
import sys
from collections.abc import Callable
from typing import Any

from app.cli import Exit
from app.core.decisions import DecisionsFileError, DecisionStore
from app.core.queue import PromptQueue
from app.system import folders
from app.system.instance import AppNotRunning, control

ControlHandler = Callable[[dict[str, Any]], dict[str, Any]]


def control_handlers(queue: PromptQueue, store: DecisionStore) -> dict[str, ControlHandler]:
    """The app's control commands for prompts and decisions (see ``Bridgekeeper.controls``)."""

    def pause(_message: dict[str, Any]) -> dict[str, Any]:
        queue.set_paused(True)
        return {"ok": True, "paused": True}

    def resume(_message: dict[str, Any]) -> dict[str, Any]:
        queue.set_paused(False)
        return {"ok": True, "paused": False}

    def show(_message: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "shown": queue.bring_forward()}

    def decisions(_message: dict[str, Any]) -> dict[str, Any]:
        return {
            "ok": True,
            "decisions": [r.to_json() for r in store.all()],
            "problem": store.problem,
        }

    def forget(message: dict[str, Any]) -> dict[str, Any]:
        if message.get("all") is True:
            return {"ok": True, "forgotten": store.forget_all()}
        key = message.get("key")
        if not isinstance(key, str):
            return {"ok": False, "error": "forget needs a key or all"}
        if not store.forget(key):
            return {"ok": False, "error": _unknown_key(key)}
        return {"ok": True, "forgotten": 1}

    return {
        "pause": pause,
        "resume": resume,
        "show": show,
        "decisions": decisions,
        "forget": forget,
    }


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    decisions = subparsers.add_parser(
        "decisions",
        help="list or forget remembered decisions",
        description='Remembered decisions: what you chose with "Remember this decision".',
    )
    decisions.set_defaults(command=lambda _args: _usage(decisions))
    actions = decisions.add_subparsers(title="commands", metavar="COMMAND")
    listing = actions.add_parser("list", help="list remembered decisions and their keys")
    listing.set_defaults(command=list_decisions)
    forgetting = actions.add_parser("forget", help="forget one remembered decision, or all")
    forgetting.add_argument("key", nargs="?", help="the KEY `decisions list` shows")
    forgetting.add_argument("--all", action="store_true", help="forget every decision")
    forgetting.set_defaults(command=lambda args: forget(args, forgetting))
    pause = subparsers.add_parser("pause", help="tell the running app to pause prompts")
    pause.set_defaults(command=lambda _args: _pause(True))
    resume = subparsers.add_parser("resume", help="tell the running app to resume prompts")
    resume.set_defaults(command=lambda _args: _pause(False))


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_usage(sys.stderr)
    print("bridgekeeper decisions: choose a command: list, forget", file=sys.stderr)
    return Exit.USAGE


def _unknown_key(key: str) -> str:
    return f"no remembered decision has the key {key!r}; `bridgekeeper decisions list` shows them"


def _running_app(command: str, **fields: Any) -> dict[str, Any] | None:
    """The running app's answer to ``command``, or None when no app is running."""
    try:
        return control(command, timeout=0.0, **fields)
    except AppNotRunning:
        return None
    except (OSError, ValueError) as error:
        # It listens but did not answer: editing the file now would be undone by the
        # app's copy in memory, so fail instead.
        return {
            "ok": False,
            "error": f"Bridgekeeper is running but did not answer ({error}); try again",
        }


def _file_store() -> DecisionStore:
    store = DecisionStore(folders.data_dir())
    store.load(move_aside=False)
    return store


def list_decisions(_args: argparse.Namespace) -> int:
    answer = _running_app("decisions")
    if answer is not None:
        if not answer.get("ok"):
            print(f"bridgekeeper: {answer.get('error')}", file=sys.stderr)
            return Exit.PROBLEM
        entries: list[dict[str, Any]] = answer["decisions"]
        if answer.get("problem"):
            print(f"bridgekeeper: {answer['problem']}", file=sys.stderr)
    else:
        try:
            entries = [r.to_json() for r in _file_store().all()]
        except DecisionsFileError as error:
            print(f"bridgekeeper: {error}", file=sys.stderr)
            return Exit.PROBLEM
    if not entries:
        print("No remembered decisions.")
        return Exit.OK
    rows = [["KEY", "DECISION", "BROWSER", "EXTENSION", "TYPE", "ACTION", "SITE", "SINCE"]]
    for entry in entries:
        when = datetime.datetime.fromtimestamp(entry["created"]).strftime("%Y-%m-%d %H:%M")
        rows.append(
            [
                entry["id"],
                entry["decision"],
                entry["family"],
                entry["extension"],
                entry["type"],
                entry["action"],
                entry["site"] or "-",
                when,
            ]
        )
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    for row in rows:
        print(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        )
    return Exit.OK


def forget(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    if bool(args.all) == bool(args.key):
        parser.print_usage(sys.stderr)
        print("bridgekeeper decisions forget: give either a KEY or --all", file=sys.stderr)
        return Exit.USAGE
    fields: dict[str, Any] = {"all": True} if args.all else {"key": args.key}
    answer = _running_app("forget", **fields)
    if answer is None:
        try:
            store = _file_store()
        except DecisionsFileError as error:
            print(f"bridgekeeper: {error}", file=sys.stderr)
            return Exit.PROBLEM
        if args.all:
            answer = {"ok": True, "forgotten": store.forget_all()}
        elif store.forget(args.key):
            answer = {"ok": True, "forgotten": 1}
        else:
            answer = {"ok": False, "error": _unknown_key(args.key)}
        if store.problem:
            print(f"bridgekeeper: {store.problem}", file=sys.stderr)
            return Exit.PROBLEM
    if not answer.get("ok"):
        print(f"bridgekeeper: {answer.get('error')}", file=sys.stderr)
        return Exit.PROBLEM
    count = answer["forgotten"]
    print(f"Forgot {count} remembered decision{'' if count == 1 else 's'}.")
    return Exit.OK


def _pause(paused: bool) -> int:
    answer = _running_app("pause" if paused else "resume")
    if answer is None:
        print(
            "bridgekeeper: Bridgekeeper is not running; start it with `bridgekeeper`",
            file=sys.stderr,
        )
        return Exit.PROBLEM
    if not answer.get("ok"):
        print(f"bridgekeeper: {answer.get('error')}", file=sys.stderr)
        return Exit.PROBLEM
    print("Prompts paused." if paused else "Prompts resumed.")
    return Exit.OK
