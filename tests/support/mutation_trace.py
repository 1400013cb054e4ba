"""Which tests run which lines of one module, for ``./dev mutate`` (tests/support/mutation.py).

A tracing run of a module's tests has ``BK_MUTATION_TRACE`` name a folder and
``BK_MUTATION_MODULE`` the module (its path in the tree). Every Python process of the run
(pytest, and the hosts and apps it starts: they import the copy, and with it this module,
from ``sitecustomize``) traces the lines of that module only, and appends
``"<test>\\t<line>\\n"`` to a file of its own the first time a test runs a line: a process
ended with SIGKILL has written what it ran. Which test runs is a number in the folder's
``current`` file (0: none, as while collecting), which pytest sets around each test
(``mutation_trace_plugin``) and every process reads as it runs (a memory map): an app
started in one test and serving the next is credited to the right one. ``tests`` lists
each test's number and id. Standard library only: hosts import it.
"""

from __future__ import annotations

import mmap
import os
import struct
import sys
import threading
from types import FrameType
from typing import Any

FOLDER_ENV = "BK_MUTATION_TRACE"
MODULE_ENV = "BK_MUTATION_MODULE"
CURRENT = struct.Struct("=I")


class _Tracer:
    def __init__(self, folder: str, target: str) -> None:
        self._target = target
        self._targets: dict[str, bool] = {}
        self._seen: set[tuple[int, int]] = set()
        with open(os.path.join(folder, "current"), "rb") as shared:
            self._current = mmap.mmap(shared.fileno(), CURRENT.size, access=mmap.ACCESS_READ)
        self._out = os.open(
            os.path.join(folder, f"{os.getpid()}-{os.urandom(4).hex()}.lines"),
            os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC,
            0o600,
        )

    def lines(self, frame: FrameType, event: str, _arg: Any) -> Any:
        if event == "line":
            test = CURRENT.unpack_from(self._current)[0]
            key = (test, frame.f_lineno)
            if key not in self._seen:
                self._seen.add(key)
                os.write(self._out, f"{test}\t{frame.f_lineno}\n".encode())
        return self.lines

    def calls(self, frame: FrameType, event: str, arg: Any) -> Any:
        filename = frame.f_code.co_filename
        ours = self._targets.get(filename)
        if ours is None:
            ours = self._targets[filename] = os.path.realpath(filename) == self._target
        if not ours:
            return None
        self.lines(frame, "line", arg)  # a call has no line event for its first line
        return self.lines


_running: list[_Tracer] = []


def start() -> None:
    """Trace this process, if it is part of a tracing run (``sitecustomize`` calls this)."""
    folder = os.environ.get(FOLDER_ENV, "")
    module = os.environ.get(MODULE_ENV, "")
    if not folder or not module or _running:
        return
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.realpath(__file__))))
    tracer = _Tracer(folder, os.path.realpath(os.path.join(root, module)))
    _running.append(tracer)
    threading.settrace(tracer.calls)
    sys.settrace(tracer.calls)


def rearm() -> None:
    """Trace again if tracing stopped: Python drops a trace function that raises, as it
    does when called at the recursion limit (a test of input nested too deeply)."""
    if _running and sys.gettrace() is None:
        sys.settrace(_running[0].calls)


def set_current(number: int) -> None:
    """Say that test ``number`` runs now (0: none), to every process of the run."""
    with open(os.path.join(os.environ[FOLDER_ENV], "current"), "r+b") as shared:
        mapped = mmap.mmap(shared.fileno(), CURRENT.size)
        CURRENT.pack_into(mapped, 0, number)
        mapped.close()


_numbers: dict[str, int] = {}


def name_test(nodeid: str) -> int:
    """The number of test ``nodeid``, listed in the folder's ``tests`` once."""
    number = _numbers.get(nodeid)
    if number is None:
        number = _numbers[nodeid] = len(_numbers) + 1
        listing = os.path.join(os.environ[FOLDER_ENV], "tests")
        with open(listing, "a", encoding="utf-8") as listed:
            listed.write(f"{number}\t{nodeid}\n")
    return number


def read(folder: str) -> tuple[dict[int, set[str]], set[int]]:
    """What a tracing run wrote to ``folder``: the tests that ran each line, and the
    lines run outside any test (importing the module, collecting)."""
    names: dict[int, str] = {}
    with open(os.path.join(folder, "tests"), encoding="utf-8") as listed:
        for row in listed:
            number, _, name = row.rstrip("\n").partition("\t")
            names[int(number)] = name
    by_line: dict[int, set[str]] = {}
    outside: set[int] = set()
    for entry in os.scandir(folder):
        if not entry.name.endswith(".lines"):
            continue
        with open(entry.path, encoding="utf-8") as written:
            for row in written:
                test, _, line = row.strip().partition("\t")
                if not line:
                    continue  # a row cut short by SIGKILL
                if int(test) == 0:
                    outside.add(int(line))
                else:
                    by_line.setdefault(int(line), set()).add(names[int(test)])
    return by_line, outside
