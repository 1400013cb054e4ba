"""``bridgekeeper decisions list|forget``, ``pause`` and ``resume``: control commands for
the running app (``app.core.control`` answers them).

Decisions go through the running app when there is one, so that its copy in memory and
the file stay the same; otherwise the command reads or edits the file itself.
"""

from __future__ import annotations

import argparse
import datetime
import math
import sys
from typing import Any

from app.commands.common import Exit, fail
from app.core.control import unknown_key
from app.core.decisions import CREATED_LATEST, DecisionsFileError, DecisionStore
from app.core.text import neutralise
from app.system import folders, policy, settings
from app.system.instance import AppNotRunning, ControlFailed, control


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    decisions = subparsers.add_parser(
        "decisions",
        help="list or forget remembered decisions",
        description='Remembered decisions: what you chose with "Remember this decision".',
    )
    decisions.set_defaults(command=lambda _args: _usage(decisions))
    actions = decisions.add_subparsers(title="commands", metavar="COMMAND")
    listing = actions.add_parser(
        "list", help="list remembered decisions and their keys (KEY is what forget takes)"
    )
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


class _Unanswered(Exception):
    """The app listens but did not answer."""


def _running_app(command: str, **fields: Any) -> dict[str, Any] | None:
    """The running app's result for ``command``, or None when no app is running. Raises
    ``ControlFailed`` when it refuses, ``_Unanswered`` when it does not answer: editing
    the file then would be undone by the app's copy in memory."""
    try:
        return control(command, timeout=0.0, **fields)
    except AppNotRunning:
        return None
    except OSError as error:
        message = f"Bridgekeeper is running but did not answer ({error}); try again"
        raise _Unanswered(message) from error


def _file_store() -> DecisionStore:
    store = DecisionStore(folders.data_dir())
    store.load(move_aside=False)
    return store


def list_decisions(_args: argparse.Namespace) -> int:
    try:
        answer = _running_app("decisions")
    except (ControlFailed, _Unanswered) as error:
        return fail(str(error))
    if answer is not None:
        listed = answer.get("decisions")
        if not isinstance(listed, list):
            return fail("Bridgekeeper answered without a list of decisions; see its log")
        entries = [entry for entry in listed if isinstance(entry, dict)]
        if answer.get("problem"):
            print(f"bridgekeeper: {answer['problem']}", file=sys.stderr)
    else:
        try:
            entries = [r.to_json() for r in _file_store().all()]
        except DecisionsFileError as error:
            return fail(str(error))
    if not entries:
        print("No remembered decisions.")
        return Exit.OK
    for line in decision_table(entries, _extension_names()):
        print(line)
    return Exit.OK


WIDTH = 100
"""The table fits this many columns (a terminal's default is 80-120)."""


def _extension_names() -> dict[tuple[object, object], str]:
    try:
        config = settings.load()
    except settings.SettingsError:
        return {}
    return {(ext.family, ext.id): ext.name for ext in config.effective if ext.name}


def decision_table(
    entries: list[dict[str, Any]], names: dict[tuple[object, object], str]
) -> list[str]:
    """Remembered decisions as lines of at most ``WIDTH`` columns: extensions by name
    (their id when they have none), the widest of the extension, action and site cut
    with an ellipsis until the line fits (the KEY never)."""
    rows = [["KEY", "DECISION", "EXTENSION", "TYPE", "ACTION", "SITE", "SINCE"]]
    for entry in entries:
        # Keys carry what extensions sent: shown like everywhere else, nothing hidden.
        family, extension = entry.get("family"), entry.get("extension")
        name = names.get((family, extension), "") if isinstance(extension, str) else ""
        cells = [_cell(entry.get(key)) for key in ("id", "decision", "type", "action", "site")]
        rows.append(
            [
                cells[0],
                cells[1],
                _cell(name or extension),
                cells[2],
                cells[3],
                cells[4] or "-",
                _since(entry.get("created")),
            ]
        )
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    flexible = (4, 5, 2)  # action, site, extension: the widest is cut first
    while sum(widths) + 2 * (len(widths) - 1) > WIDTH:
        widest = max(flexible, key=lambda column: widths[column])
        if widths[widest] <= 12:
            break
        widths[widest] -= 1
    return [
        "  ".join(_fit(cell, width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]


def _fit(cell: str, width: int) -> str:
    return cell.ljust(width) if len(cell) <= width else cell[: width - 1] + "\u2026"


def _cell(value: object) -> str:
    return neutralise(value, multiline=False) if isinstance(value, str) else "?"


def _since(created: object) -> str:
    """A remembered decision's date; "?" for what no clock gave (the store refuses such a
    file, but an older app may answer with one)."""
    if (
        isinstance(created, bool)
        or not isinstance(created, int | float)
        or not math.isfinite(created)
        or not 0 <= created <= CREATED_LATEST
    ):
        return "?"
    return datetime.datetime.fromtimestamp(created).strftime("%Y-%m-%d")


def forget(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    if bool(args.all) == bool(args.key):
        parser.print_usage(sys.stderr)
        print("bridgekeeper decisions forget: give either a KEY or --all", file=sys.stderr)
        return Exit.USAGE
    fields: dict[str, Any] = {"all": True} if args.all else {"key": args.key}
    try:
        answer = _running_app("forget", **fields)
    except (ControlFailed, _Unanswered) as error:
        return fail(str(error))
    if answer is None:
        try:
            store = _file_store()
        except DecisionsFileError as error:
            return fail(str(error))
        if args.all:
            count = store.forget_all()
        elif store.forget(args.key):
            count = 1
        else:
            return fail(unknown_key(args.key))
        if store.problem:
            return fail(store.problem)
    else:
        count = answer["forgotten"]
    print(f"Forgot {count} remembered decision{'' if count == 1 else 's'}.")
    return Exit.OK


def _pause(paused: bool) -> int:
    managed = policy.load()
    if paused and not managed.pause:
        return fail(
            "pausing prompts is turned off by the system policy "
            f"({managed.source}); requests keep showing their dialogs"
        )
    try:
        answer = _running_app("pause" if paused else "resume")
    except (ControlFailed, _Unanswered) as error:
        return fail(str(error))
    if answer is None:
        return fail("Bridgekeeper is not running; start it with `bridgekeeper`")
    print("Prompts paused." if paused else "Prompts resumed.")
    return Exit.OK
