"""Remembered decisions: what the user chose with "Remember this decision", by key
(browser family, extension id, type, action, site origin), kept in ``decisions.json``.

The file carries a ``version`` and is written atomically (temp file, fsync, replace), so a
crash leaves either the old or the new file. A file that cannot be read (corrupt,
truncated, or written by a newer Bridgekeeper) is moved aside, never overwritten, and
reported to the log and to the ``on_problem`` listeners (the tray shows it).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from app.core.files import write_atomically
from app.core.listeners import Listeners

log = logging.getLogger(__name__)

FILE_NAME = "decisions.json"
VERSION = 1
REMEMBERED_DECISIONS = ("allow", "deny")
CREATED_LATEST = 32_503_680_000.0
"""1 January 3000 (Unix time): a later ``created`` is no time this app wrote."""
_KEY_FIELDS = ("family", "extension", "type", "action", "site")


@dataclass(frozen=True)
class DecisionKey:
    """What a remembered decision applies to. ``type`` is the request type (``confirm``,
    ``secret.get``, ...); ``site`` the origin, or "" for requests without one."""

    family: str
    extension: str
    type: str
    action: str
    site: str = ""

    @property
    def short_id(self) -> str:
        """A stable printable name for ``bridgekeeper decisions forget KEY``."""
        joined = "\x1f".join(getattr(self, name) for name in _KEY_FIELDS)
        import hashlib  # here: OpenSSL's loading is not for the app's start to wait on

        # surrogatepass: the same bytes as UTF-8 for every string that has them, and
        # still a name for a key carrying a lone surrogate.
        return hashlib.sha256(joined.encode("utf-8", "surrogatepass")).hexdigest()[:12]


@dataclass(frozen=True)
class Remembered:
    key: DecisionKey
    decision: str
    """``allow`` or ``deny``."""
    created: float
    """Unix time it was remembered."""

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.key.short_id,
            **asdict(self.key),
            "decision": self.decision,
            "created": self.created,
        }


class DecisionsFileError(Exception):
    """The decisions file cannot be used; the message says why and what was done."""


def _parse(text: str) -> dict[DecisionKey, Remembered]:
    try:
        document = json.loads(text)
    except (ValueError, RecursionError) as error:
        raise DecisionsFileError(f"it is not valid JSON ({error})") from error
    if not isinstance(document, dict) or not isinstance(document.get("version"), int):
        raise DecisionsFileError('it has no "version" number')
    version = document["version"]
    if version > VERSION:
        raise DecisionsFileError(
            f"it was written by a newer Bridgekeeper (file version {version}, this one "
            f"understands {VERSION})"
        )
    entries = document.get("decisions")
    if version < 1 or not isinstance(entries, list):
        raise DecisionsFileError('it has no "decisions" list')
    found: dict[DecisionKey, Remembered] = {}
    for index, entry in enumerate(entries):
        try:
            key = DecisionKey(**{name: entry[name] for name in _KEY_FIELDS})
            decision = entry["decision"]
            created = entry.get("created", 0.0)
        except (KeyError, TypeError) as error:
            raise DecisionsFileError(f"entry {index} is incomplete ({error})") from error
        if not all(isinstance(getattr(key, name), str) for name in _KEY_FIELDS) or (
            decision not in REMEMBERED_DECISIONS
            or isinstance(created, bool)
            or not isinstance(created, int | float)
        ):
            raise DecisionsFileError(f"entry {index} is not valid")
        # A time no clock gave (1e20, infinity, before 1970) is a damaged file, not a date.
        if not 0 <= created <= CREATED_LATEST:
            raise DecisionsFileError(
                f"entry {index} has an impossible time in 'created' ({str(created)[:40]})"
            )
        found[key] = Remembered(key, decision, float(created))
    return found


class DecisionStore:
    """The remembered decisions, in memory and in ``folder/decisions.json``.

    Only one process writes the file: the running app, or the command line when no app
    is running (when one is, the command line asks it instead).

    ``problems`` hear a message when the file had to be moved aside or cannot be written;
    ``changed`` hear every change of the decisions.
    """

    def __init__(self, folder: Path) -> None:
        self.path = folder / FILE_NAME
        self._decisions: dict[DecisionKey, Remembered] = {}
        self.problems: Listeners[[str]] = Listeners("remembered decisions' problems")
        self.changed: Listeners[[]] = Listeners("remembered decisions")
        self.problem = ""
        """The last problem with the file, or "" (for a status line)."""

    def load(self, move_aside: bool = True) -> None:
        """Read the file. A bad one is moved aside (``move_aside``) and reported, and the
        store starts empty; without ``move_aside`` it raises ``DecisionsFileError``."""
        if move_aside:
            self._remove_stale_temp_files()
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            self._decisions = {}
            return
        except (OSError, UnicodeDecodeError) as error:
            problem = DecisionsFileError(f"it cannot be read ({error})")
        else:
            try:
                self._decisions = _parse(text)
                return
            except DecisionsFileError as error:
                problem = error
        if not move_aside:
            raise DecisionsFileError(
                f"The remembered decisions file {self.path} is unusable: {problem}"
            )
        stamp = time.strftime("%Y%m%d-%H%M%S")
        aside = self.path.with_name(f"{FILE_NAME}.unreadable-{stamp}")
        counter = 1
        while aside.exists():
            counter += 1
            aside = self.path.with_name(f"{FILE_NAME}.unreadable-{stamp}-{counter}")
        try:
            os.replace(self.path, aside)
            done = f"it was kept as {aside}; remembered decisions start empty"
        except OSError as error:
            done = f"it could not be moved aside ({error}); remembered decisions start empty"
        self._decisions = {}
        self._report(f"The remembered decisions file {self.path} is unusable: {problem}; {done}.")

    def _remove_stale_temp_files(self) -> None:
        # A writer killed between mkstemp and os.replace leaves its temp file behind; the
        # app loads before anything writes, so any temp file there now is stale.
        for temp in self.path.parent.glob(f".{FILE_NAME}.*.tmp"):
            with contextlib.suppress(OSError):
                temp.unlink()

    def lookup(self, key: DecisionKey) -> str | None:
        """The remembered decision (``allow``/``deny``) for ``key``, if any."""
        found = self._decisions.get(key)
        return found.decision if found else None

    def all(self) -> list[Remembered]:
        return sorted(self._decisions.values(), key=lambda r: (r.created, r.key.short_id))

    def remember(self, key: DecisionKey, decision: str) -> bool:
        """Store ``decision`` for ``key``; True when it is on disk. A decision the file
        could not take (a full disk) is not kept in memory either, since it would be gone
        after a restart: False, and the ``problems`` listeners hear it."""
        if decision not in REMEMBERED_DECISIONS:
            raise ValueError(f"cannot remember decision {decision!r}")
        before = self._decisions.get(key)
        self._decisions[key] = Remembered(key, decision, time.time())
        try:
            self._write()
        except OSError as error:
            if before is None:
                del self._decisions[key]
            else:
                self._decisions[key] = before
            self._report(
                f"Your decision was not remembered: {self.path} could not be written "
                f"({error}). The same request will ask you again."
            )
            return False
        self.changed.emit()
        return True

    def forget(self, short_id: str) -> bool:
        """Forget the decision with that ``short_id``; False when there is none."""
        for key in list(self._decisions):
            if key.short_id == short_id:
                del self._decisions[key]
                self._save()
                return True
        return False

    def forget_all(self) -> int:
        count = len(self._decisions)
        self._decisions.clear()
        self._save()
        return count

    def _save(self) -> None:
        try:
            self._write()
        except OSError as error:
            # Forgotten in memory all the same (asking again is the safe side); the user
            # hears that it will be back after a restart.
            self._report(f"Remembered decisions could not be saved to {self.path}: {error}")
        self.changed.emit()

    def _write(self) -> None:
        document = {"version": VERSION, "decisions": [r.to_json() for r in self.all()]}
        # ensure_ascii: a lone surrogate in a key (JSON allows "\ud800") cannot fail it.
        data = json.dumps(document, indent=1).encode("utf-8")
        write_atomically(self.path, data)

    def _report(self, message: str) -> None:
        log.error("%s", message)
        self.problem = message
        self.problems.emit(message)
