"""Mutation testing of the host and the Qt-free core with cosmic-ray:

    ./dev mutate [--jobs N] [--fresh] [PATH...]

For each module (default: ``TARGETS``, the contract's core; any module of ``host/`` or
``app/core/``, or a folder of them, may be named) cosmic-ray lists the mutants (an operator
swapped, a number changed, a condition negated, ...); each one is written into a copy of
the tree and the tests that cover that module (``SELECTIONS``) run against it, host and
app subprocesses included (they import the copy: ``PYTHONPATH``). A mutant the tests fail
on is killed; one they pass is a survivor: a change nobody would notice. The score is
killed / (killed + survived); the survivors are printed with their diffs.

Everything lives under ``build/mutate/`` (never in the tree): the copies (``trees/``, one
per job of a run, removed when it ends) and a cosmic-ray session per module
(``sessions/``), resumed by the next run as long as the module did not change (changed
tests try the survivors again; ``--fresh`` starts over). Runs of different modules may go
side by side. Skipped, as no test can tell them apart: mutants of a type annotation (with
``from __future__ import annotations``, which every module here has, never evaluated) and
mutants that are not valid Python.
"""

from __future__ import annotations

import argparse
import ast
import functools
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from queue import Empty, Queue
from typing import Any

from tests.support import mutation_trace
from tests.support.mutation_reviews import EQUIVALENT

ROOT = Path(__file__).resolve().parents[2]
WORK = ROOT / "build" / "mutate"

TARGETS = [
    "host/protocol.py",
    "app/core/fields.py",
    "app/core/dispatch.py",
    "app/core/handlers/basics.py",
    "app/core/handlers/prompts.py",
    "app/core/handlers/secrets.py",
    "app/core/queue.py",
    "host/relay.py",
]
"""What ``./dev mutate`` measures by default: the frames and limits, the request
validation, the queue, and the relay (README: "Mutation testing")."""

_QUEUE_TESTS = ["tests/unit/test_queue.py", "tests/unit/test_queue_locks.py"]
_REQUEST_TESTS = [
    "tests/unit/test_prompt_requests.py",
    "tests/unit/test_parsing.py",
    *_QUEUE_TESTS,
    "tests/qt/test_secret_handlers.py",
]
_SLOW_HOST_TESTS = [
    "test_fifty_hosts_at_once_are_all_answered",
    "test_fifty_hosts_at_once_start_one_app",
    "test_an_app_that_never_listens_is_given_up_10_s_after_the_host_started",
]
SELECTIONS: dict[str, list[str]] = {
    # Fast in-process tests first: pytest stops at the first failure (-x).
    "host/protocol.py": [
        "tests/unit/test_framing.py",
        "tests/unit/test_parsing.py",
        "tests/unit/test_prompt_requests.py",
        "tests/unit/test_transport.py",
        "tests/e2e/test_host.py",
        # Minutes per mutant on a loaded machine, for what the rest already covers (the
        # 10 s of silence, and the probes, are pinned by the one 10 s test kept).
        *(f"--deselect=tests/e2e/test_host.py::{name}" for name in _SLOW_HOST_TESTS),
    ],
    "host/relay.py": [
        "tests/unit/test_relay.py",  # its pieces in this process: milliseconds
        "tests/unit/test_windows.py",  # a configured command's words, on Windows too
        "tests/e2e/test_host.py",
        *(f"--deselect=tests/e2e/test_host.py::{name}" for name in _SLOW_HOST_TESTS),
    ],
    "host/caller.py": ["tests/unit/test_transport.py", "tests/e2e/test_host.py"],
    "host/transport.py": [
        "tests/unit/test_transport.py",
        "tests/e2e/test_transport_contract.py",
        "tests/e2e/test_trust_socket.py",
    ],
    "host/launch.py": ["tests/unit/test_windows.py", "tests/unit/test_platforms.py"],
    "host/winpipe.py": ["tests/unit/test_windows.py"],
    "host/darwin.py": ["tests/unit/test_macos.py"],
    "host/__main__.py": ["tests/e2e/test_host.py"],
    "app/core/dispatch.py": _REQUEST_TESTS,
    "app/core/fields.py": _REQUEST_TESTS,
    "app/core/handlers/basics.py": [
        *_REQUEST_TESTS,
        "tests/qt/test_server.py",  # ping on the socket thread, while the GUI thread is busy
        "tests/e2e/test_host.py::test_host_answers_status",
        "tests/e2e/test_host.py::test_the_socket_speaks_the_documented_frames_to_a_protocol_1_host",
    ],
    "app/core/handlers/prompts.py": _REQUEST_TESTS,
    "app/core/handlers/secrets.py": [
        "tests/qt/test_secret_handlers.py",
        "tests/unit/test_keychain.py",
        "tests/unit/test_queue.py",
    ],
    "app/core/queue.py": [
        *_QUEUE_TESTS,
        "tests/unit/test_prompt_requests.py",
        "tests/qt/test_secret_handlers.py",  # Outcome.allowed decides a keychain call
    ],
    "app/core/prompts.py": [*_QUEUE_TESTS, "tests/qt/test_dialog_widgets.py"],
    "app/core/activity.py": [*_QUEUE_TESTS, "tests/qt/test_tray_windows.py"],
    "app/core/decisions.py": ["tests/unit/test_decisions.py", *_QUEUE_TESTS],
    "app/core/control.py": ["tests/unit/test_queue_locks.py", "tests/qt/test_server.py"],
    "app/core/router.py": ["tests/qt/test_server.py", "tests/qt/test_server_bounds.py"],
    "app/core/text.py": ["tests/unit/test_text.py", "tests/unit/test_queue.py"],
    "app/core/sites.py": ["tests/unit/test_sites.py"],
    "app/core/files.py": ["tests/unit/test_decisions.py", "tests/unit/test_policy.py"],
    "app/core/listeners.py": ["tests/unit/test_queue.py", "tests/qt/test_tray_windows.py"],
    "app/core/blocking.py": ["tests/qt/test_worker.py"],
    "app/core/scheduler.py": ["tests/qt/test_timers.py"],
}
"""The tests that cover each module (pytest arguments: files, node ids, ``--deselect``):
enough to kill what can be killed, fast enough to run once per mutant. Modules not listed
(``__init__``) have nothing to mutate."""

PYTEST = [
    *("-x", "-q", "-p", "no:cacheprovider", "--no-header"),
    *("--timeout=40", "--timeout-method=thread"),
]
"""Stop at the first failure. A test that hangs (a mutant's endless loop) ends the run
after 40 s, not the suite's 120 s (no test in a selection needs more than 15 s here), and
for good: a signal would let hypothesis run the hanging example again."""


@dataclass
class Mutant:
    job_id: str
    module: str
    operator: str
    occurrence: int
    start: tuple[int, int]
    end: tuple[int, int]


@dataclass
class Tally:
    killed: int = 0
    survived: int = 0
    incompetent: int = 0
    skipped: int = 0
    elsewhere: int = 0
    """Mutants of code for another platform only: neither run nor counted."""
    reviewed: int = 0
    """Survivors reviewed as equivalent or harmless (``mutation_reviews.REVIEWED``), of
    ``survived``."""
    equivalent: int = 0
    """Of ``reviewed``, those whose review says no test can kill them (``EQUIVALENT``)."""

    @property
    def raw_score(self) -> float:
        """Killed of all that ran, reviewed survivors counted as survivors."""
        tested = self.killed + self.survived
        return 100.0 * self.killed / tested if tested else 100.0

    @property
    def killable_score(self) -> float:
        """Killed of all that ran less the equivalent survivors, which no test can kill:
        the harmless and Windows-only survivors count as survivors."""
        tested = self.killed + self.survived - self.equivalent
        return 100.0 * self.killed / tested if tested else 100.0

    @property
    def score(self) -> float:
        """Killed of all that ran less the survivors reviewed as equivalent (no test can
        tell them from the original) or harmless (slower, never wrong): not a gap."""
        tested = self.killed + self.survived - self.reviewed
        return 100.0 * self.killed / tested if tested else 100.0


def modules_named(paths: list[str]) -> list[str]:
    """The modules ``paths`` name (files or folders), each one ``SELECTIONS`` knows."""
    if not paths:
        return list(TARGETS)
    found: list[str] = []
    for path in paths:
        relative = Path(path).resolve().relative_to(ROOT).as_posix()
        matches = [m for m in SELECTIONS if m == relative or m.startswith(relative + "/")]
        if not matches:
            raise SystemExit(
                f"mutate: no tests are known for {path}; modules of host/ and app/core/ are: "
                + ", ".join(sorted(SELECTIONS))
            )
        found.extend(m for m in sorted(matches) if m not in found)
    return found


def stage(tree: Path) -> None:
    """``tree``: a fresh copy of the project as it is in the work tree (tracked files and
    new ones not ignored), without bytecode, so every mutant is compiled from source."""
    if tree.exists():
        shutil.rmtree(tree)
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        check=True,
        capture_output=True,
    ).stdout.split(b"\0")
    for name in filter(None, listed):
        source = ROOT / os.fsdecode(name)
        if source.is_file():
            target = tree / os.fsdecode(name)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    (tree / "sitecustomize.py").write_text(SITECUSTOMIZE)
    # Built by ./dev test, not tracked: the demo extension's copy of the client.
    vendor = ROOT / "assets" / "extension" / "vendor"
    if vendor.is_dir():
        shutil.copytree(vendor, tree / "assets" / "extension" / "vendor")


SITECUSTOMIZE = (
    "import builtins\n\n\n"
    "class CosmicRayTestingException(Exception):\n"
    '    """Raised by nothing: an except clause naming it catches nothing."""\n\n\n'
    "builtins.CosmicRayTestingException = CosmicRayTestingException  # type: ignore\n"
    "\nimport os\n\n"
    f"if os.environ.get({mutation_trace.FOLDER_ENV!r}):\n"
    "    from tests.support import mutation_trace\n\n"
    "    mutation_trace.start()\n"
)
"""Every Python process of a copy runs this first: what cosmic-ray's ExceptionReplacer
writes into an ``except`` (an exception nothing raises) is defined in the host and the
app too, and a tracing run (``trace``) traces them all."""


def fingerprints(module: str) -> dict[str, str]:
    """What a session's results depend on: the module, and its tests (with the support
    code and the options they run with)."""

    # The support code the tests run; not this tool or its reviews, which no test runs.
    support = sorted(
        path
        for path in (ROOT / "tests" / "support").glob("*.py")
        if not path.name.startswith("mutation")
    )
    files = [t.split("::")[0] for t in SELECTIONS[module] if not t.startswith("-")]
    tests = [ROOT / "tests" / "conftest.py", *(ROOT / t for t in files), *support]
    options = " ".join([*PYTEST, *(t for t in SELECTIONS[module] if t.startswith("-"))])
    return {
        "module": _digest({ROOT / module: (ROOT / module).read_bytes()}),
        "tests": _digest({path: path.read_bytes() for path in tests}, options),
    }


def _digest(files: dict[Path, bytes], extra: str = "") -> str:
    hashed = hashlib.sha256(extra.encode())
    for path, data in files.items():
        name = path.relative_to(ROOT).as_posix()  # the same in every checkout
        hashed.update(name.encode() + b"\0" + data + b"\0")
    return hashed.hexdigest()


UnitKey = tuple[str, str, str, tuple[int, int], tuple[int, int], int]
"""A mutant named by what it changes: the qualified name and a digest of its unit (the
function or method that holds it, else the innermost statement), the operator, its
place relative to the unit's first line, and its rank among the operator's mutants at
that place."""

CARRIED = "(carried over: its function is unchanged since this ran)\n"
"""How a result kept from before a change elsewhere in the module begins."""


def unit_keys(source: str, mutants: list[Mutant]) -> dict[str, UnitKey]:
    """Each mutant's ``UnitKey`` by job id. A mutant whose function (or, outside any
    function, statement) reads the same after an edit elsewhere in the module keeps its
    key, so its result is kept: the change it makes and the code around it are the same.
    Callers may have changed; ``--fresh`` measures everything again."""
    tree = _parsed(source)
    keys: dict[str, UnitKey] = {}
    ranks: dict[tuple[Any, ...], int] = {}

    def holds(node: ast.AST, start: tuple[int, int], end: tuple[int, int]) -> bool:
        first = (getattr(node, "lineno", 0), getattr(node, "col_offset", 0))
        last = (getattr(node, "end_lineno", None) or 0, getattr(node, "end_col_offset", None) or 0)
        return first <= start and end <= last

    def unit(start: tuple[int, int], end: tuple[int, int]) -> tuple[str, ast.AST | None]:
        names: list[str] = []
        function: tuple[str, ast.AST] | None = None
        statement: ast.AST | None = None
        node: ast.AST = tree
        while True:
            inner = next(
                (
                    child
                    for child in ast.iter_child_nodes(node)
                    if isinstance(child, ast.stmt) and holds(child, start, end)
                ),
                None,
            )
            if inner is None:
                break
            if isinstance(inner, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                names.append(inner.name)
                if function is None and not isinstance(inner, ast.ClassDef):
                    function = (".".join(names), inner)
            statement = inner
            node = inner
        if function is not None:
            return function
        return ".".join(names), statement

    for mutant in sorted(mutants, key=lambda m: (m.start, m.end, m.operator, m.occurrence)):
        name, node = unit(mutant.start, mutant.end)
        if node is None:
            continue
        text = ast.get_source_segment(source, node, padded=True) or ""
        line = getattr(node, "lineno", 0)
        start = (mutant.start[0] - line, mutant.start[1])
        end = (mutant.end[0] - line, mutant.end[1])
        place = (name, hashlib.sha256(text.encode()).hexdigest(), mutant.operator, start, end)
        rank = ranks.get(place, 0)
        ranks[place] = rank + 1
        keys[mutant.job_id] = (*place, rank)
    return keys


def annotation_spans(source: str) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """Where ``source`` has type annotations or ``if TYPE_CHECKING:`` blocks: code that
    ``from __future__ import annotations`` never runs."""
    spans: list[tuple[tuple[int, int], tuple[int, int]]] = []

    def add(node: ast.expr | ast.stmt) -> None:
        if node.end_lineno is not None and node.end_col_offset is not None:
            spans.append(((node.lineno, node.col_offset), (node.end_lineno, node.end_col_offset)))

    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.arg) and node.annotation is not None:
            add(node.annotation)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.returns:
            add(node.returns)
        elif isinstance(node, ast.AnnAssign):
            add(node.annotation)
        elif (
            isinstance(node, ast.If)
            and isinstance(node.test, ast.Name)
            and node.test.id == "TYPE_CHECKING"
        ):
            add(node)
    return spans


def foreign_platform_spans(
    source: str, here: str = sys.platform
) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """Where ``source`` has code for other platforms only: the body of ``if sys.platform
    == "win32":`` (the ``else`` of ``!=``) when ``here`` is not Windows, the else of ``==
    "linux"`` on Linux, and so on. This
    machine cannot run it, so no test here can kill its mutants; they are counted apart
    ("other platform"), neither killed nor survived. The condition itself is mutated."""
    spans: list[tuple[tuple[int, int], tuple[int, int]]] = []

    def add(body: list[ast.stmt]) -> None:
        last = body[-1]
        if last.end_lineno is not None and last.end_col_offset is not None:
            first = (body[0].lineno, body[0].col_offset)
            spans.append((first, (last.end_lineno, last.end_col_offset)))

    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.If) and isinstance(node.test, ast.Compare)):
            continue
        test = node.test
        subject, operators, values = test.left, test.ops, test.comparators
        if not (
            isinstance(subject, ast.Attribute)
            and isinstance(subject.value, ast.Name)
            and (subject.value.id, subject.attr) == ("sys", "platform")
            and len(operators) == 1
            and isinstance(values[0], ast.Constant)
            and isinstance(values[0].value, str)
            and isinstance(operators[0], ast.Eq | ast.NotEq)
        ):
            continue
        named_here = values[0].value == here
        if named_here == isinstance(operators[0], ast.Eq):  # the body runs here
            if node.orelse:
                add(node.orelse)
        else:
            add(node.body)
    return spans


OTHER_PLATFORM = "code for another platform only"
"""The reason recorded for a mutant in ``foreign_platform_spans``."""


def _inside(start: tuple[int, int], end: tuple[int, int], spans: list[tuple[Any, Any]]) -> bool:
    return any(low <= start and end <= high for low, high in spans)


class Session:
    """One module's cosmic-ray session (``build/mutate/sessions``)."""

    def __init__(self, module: str, fresh: bool) -> None:
        from cosmic_ray.work_db import WorkDB

        self.module = module
        name = module.replace("/", "__").removesuffix(".py")
        sessions = WORK / "sessions"
        sessions.mkdir(parents=True, exist_ok=True)
        self.path = sessions / f"{name}.sqlite"
        self._stamp = sessions / f"{name}.json"
        self.current = fingerprints(module)
        try:
            recorded = json.loads(self._stamp.read_text())
        except (OSError, ValueError):
            recorded = {}
        self._source = sessions / f"{name}.source"
        """The module as its session measured it: what a changed module's results are
        carried over from."""
        earlier: dict[UnitKey, Any] = {}
        tested = self.current["tests"]
        if fresh or recorded.get("module") != self.current["module"]:
            # A changed module has other mutants: start over, keeping the results of
            # mutants in functions that did not change (unless --fresh).
            if not fresh and self.path.exists():
                earlier = self._results_by_unit(recorded.get("module", ""))
                tested = recorded.get("tests", "")  # what the kept results ran against
            self.path.unlink(missing_ok=True)
            recorded = {}
        self.db = WorkDB(str(self.path), WorkDB.Mode.create)
        self.carried = 0
        if self.db.num_work_items == 0:
            self._init()
            self.carried = self._carry(earlier)
            recorded = {"module": self.current["module"], "tests": tested}
            self._stamp.write_text(json.dumps(recorded))
        if recorded.get("module") == self.current["module"] and not self._source.exists():
            self._source.write_bytes((ROOT / module).read_bytes())  # a session from before copies
        # Changed tests: the survivors are tried again (a killed mutant stays killed;
        # --fresh measures everything again).
        self.retest = recorded.get("tests") != self.current["tests"]

    def done(self) -> None:
        """Every pending mutant has run against the current tests."""
        self._stamp.write_text(json.dumps(self.current))
        self.retest = False

    def _init(self) -> None:
        from cosmic_ray.commands import init
        from cosmic_ray.work_item import WorkerOutcome, WorkResult

        previous = Path.cwd()
        os.chdir(ROOT)  # cosmic-ray stores the module's path as given: relative to a tree
        try:
            init([Path(self.module)], self.db, {})
        finally:
            os.chdir(previous)
        from cosmic_ray.mutating import mutate_code
        from cosmic_ray.plugins import get_operator

        source = (ROOT / self.module).read_text(encoding="utf-8")
        spans = annotation_spans(source)
        elsewhere = foreign_platform_spans(source)
        for item in self.db.work_items:
            mutation = item.mutations[0]
            where = (tuple(mutation.start_pos), tuple(mutation.end_pos))
            why = ""
            if _inside(*where, spans):
                why = "an annotation"
            elif _inside(*where, elsewhere):
                why = OTHER_PLATFORM
            else:
                # cosmic-ray also takes the "/" of positional-only parameters for a division:
                # such a mutant is not Python, and would count as killed by any test.
                operator = get_operator(mutation.operator_name)()
                try:
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        mutated = mutate_code(source, operator, mutation.occurrence)
                        compile(mutated, self.module, "exec")
                except SyntaxError:
                    why = "not valid Python"
                except Exception as error:  # cosmic-ray cannot write this one
                    why = f"cosmic-ray failed: {type(error).__name__}: {error}"
            if why:
                self.db.set_result(
                    item.job_id, WorkResult(worker_outcome=WorkerOutcome.SKIPPED, output=why)
                )

    def _measured_source(self, digest: str) -> str | None:
        """The module's source the session measured (``digest``: its fingerprint): the
        copy kept beside the session, else the version of one of its last commits that
        is that one (a session from before copies were kept)."""

        def versions() -> Iterator[bytes]:
            if self._source.exists():
                yield self._source.read_bytes()
            commits = subprocess.run(
                ["git", "rev-list", "--max-count=30", "HEAD", "--", self.module],
                cwd=ROOT,
                capture_output=True,
                text=True,
                check=False,
            )
            for commit in commits.stdout.split():
                shown = subprocess.run(
                    ["git", "show", f"{commit}:{self.module}"],
                    cwd=ROOT,
                    capture_output=True,
                    check=False,
                )
                if shown.returncode == 0:
                    yield shown.stdout

        for data in versions():
            if _digest({ROOT / self.module: data}) == digest:
                return data.decode("utf-8")
        return None

    def _results_by_unit(self, digest: str) -> dict[UnitKey, Any]:
        """The results of the session about to be replaced, by ``unit_keys``: mutants
        that ran (killed, survived or could not run) in the source it measured."""
        from cosmic_ray.work_db import WorkDB
        from cosmic_ray.work_item import WorkerOutcome

        source = self._measured_source(digest)
        if source is None:
            return {}
        db = WorkDB(str(self.path), WorkDB.Mode.open)
        try:
            items = {item.job_id: item for item in db.work_items}
            keys = unit_keys(source, [self._mutant(item) for item in items.values()])
            return {
                keys[job_id]: result
                for job_id, result in db.results
                if result.worker_outcome == WorkerOutcome.NORMAL and job_id in keys
            }
        finally:
            db.close()

    def _carry(self, earlier: dict[UnitKey, Any]) -> int:
        """Record for each new mutant the earlier result of the same mutant in the same,
        unchanged function (``unit_keys``); how many were carried over."""
        from cosmic_ray.work_item import WorkResult

        if not earlier:
            return 0
        source = (ROOT / self.module).read_text(encoding="utf-8")
        pending = [self._mutant(item) for item in self.db.pending_work_items]
        carried = 0
        for job_id, key in unit_keys(source, pending).items():
            result = earlier.get(key)
            if result is not None:
                self.db.set_result(
                    job_id,
                    WorkResult(
                        worker_outcome=result.worker_outcome,
                        test_outcome=result.test_outcome,
                        output=CARRIED + (result.output or ""),
                        diff=result.diff,
                    ),
                )
                carried += 1
        return carried

    def pending(self, recheck: bool = False) -> list[Mutant]:
        """The survivors when the tests changed since they ran, then the mutants without a
        result. ``recheck``: every survivor, the reviewed ones too (the tests grew, and a
        review may be of a mutant a test now kills)."""
        from cosmic_ray.work_item import TestOutcome, WorkerOutcome

        pending = [self._mutant(item) for item in self.db.pending_work_items]
        if self.retest or recheck:
            # The survivors first: whether the new tests kill them is the news. Those
            # reviewed as equivalent or harmless are run again only when asked.
            pending[:0] = [
                mutant
                for mutant, result in self.results()
                if result.worker_outcome != WorkerOutcome.SKIPPED
                and result.test_outcome != TestOutcome.KILLED
                and (recheck or reviewed(mutant, result.diff or "") is None)
            ]
        return pending

    def _mutant(self, item: Any) -> Mutant:
        mutation = item.mutations[0]
        return Mutant(
            item.job_id,
            str(mutation.module_path),
            mutation.operator_name,
            mutation.occurrence,
            tuple(mutation.start_pos),
            tuple(mutation.end_pos),
        )

    def record(self, mutant: Mutant, killed: bool | None, output: str, diff: str) -> None:
        from cosmic_ray.work_item import TestOutcome, WorkerOutcome, WorkResult

        if killed is None:
            outcome = TestOutcome.INCOMPETENT
        else:
            outcome = TestOutcome.KILLED if killed else TestOutcome.SURVIVED
        self.db.set_result(
            mutant.job_id,
            WorkResult(
                worker_outcome=WorkerOutcome.NORMAL,
                test_outcome=outcome,
                output=output[-4000:],
                diff=diff,
            ),
        )

    def results(self) -> Iterator[tuple[Mutant, Any]]:
        items = {item.job_id: item for item in self.db.work_items}
        for job_id, result in self.db.results:
            yield self._mutant(items[job_id]), result

    def tally(self) -> Tally:
        from cosmic_ray.work_item import TestOutcome, WorkerOutcome

        tally = Tally()
        for mutant, result in self.results():
            if result.worker_outcome == WorkerOutcome.SKIPPED and result.output == OTHER_PLATFORM:
                tally.elsewhere += 1
            elif result.worker_outcome in (WorkerOutcome.SKIPPED, WorkerOutcome.NO_TEST):
                tally.skipped += 1
            elif result.test_outcome == TestOutcome.KILLED:
                tally.killed += 1
            elif result.test_outcome == TestOutcome.SURVIVED:
                tally.survived += 1
                why = reviewed(mutant, result.diff or "")
                if why is not None:
                    tally.reviewed += 1
                    if why in EQUIVALENT:
                        tally.equivalent += 1
            else:
                tally.incompetent += 1
        return tally

    def survivors(self) -> list[tuple[Mutant, str]]:
        from cosmic_ray.work_item import TestOutcome

        found = [
            (mutant, result.diff or "")
            for mutant, result in self.results()
            if result.test_outcome == TestOutcome.SURVIVED
        ]
        return sorted(found, key=lambda pair: (pair[0].start, pair[0].operator))


@dataclass
class Coverage:
    """Which tests run each line of a module (``trace``): a mutant is run against those
    that run its statement; the others cannot tell it from the original."""

    source: str
    by_line: dict[int, set[str]]
    outside: set[int]
    """Lines run outside any test (importing the module, collecting): any test may
    depend on what they did."""

    def tests_for(self, mutant: Mutant) -> set[str] | None:
        """The tests that run ``mutant``'s statement (from its first line to the
        mutant's last), or ``None`` when any test might notice it: a line run outside
        any test, or one no test ran."""
        first = _statement_line(self.source, mutant.start[0])
        found: set[str] = set()
        for line in range(first, mutant.end[0] + 1):
            if line in self.outside:
                return None
            found |= self.by_line.get(line, set())
        return found or None


def _statement_line(source: str, line: int) -> int:
    """The first line of the innermost statement of ``source`` that holds ``line``."""
    best = line
    span = None
    for node in ast.walk(_parsed(source)):
        if isinstance(node, ast.stmt) and node.lineno <= line <= (node.end_lineno or line):
            size = (node.end_lineno or node.lineno) - node.lineno
            if span is None or size < span:
                best, span = node.lineno, size
    return best


def trace(tree: Path, module: str, tests: list[str], timeout: float) -> Coverage | None:
    """Run ``tests`` once in ``tree`` with every process tracing ``module``'s lines
    (``mutation_trace``); ``None`` if that run could not tell (it failed to start)."""
    folder = WORK / "trace" / tree.name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    (folder / "current").write_bytes(bytes(mutation_trace.CURRENT.size))
    env = test_env(tree)
    env[mutation_trace.FOLDER_ENV] = str(folder)
    env[mutation_trace.MODULE_ENV] = module
    command = [
        *(sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--no-header"),
        *("-p", "tests.support.mutation_trace_plugin", "--timeout=120"),
        *tests,
    ]
    try:
        done = subprocess.run(
            command, cwd=tree, env=env, capture_output=True, timeout=timeout, check=False
        )
        end_strays(tree)
        if done.returncode not in (0, 1) or not (folder / "tests").exists():
            return None
        by_line, outside = mutation_trace.read(str(folder))
    except (OSError, subprocess.TimeoutExpired, ValueError):
        end_strays(tree)
        return None
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return Coverage(_module_source(module), by_line, outside)


def _killed(result: Any) -> bool:
    from cosmic_ray.work_item import TestOutcome

    return bool(result.test_outcome == TestOutcome.KILLED)


def test_command(tests: list[str]) -> list[str]:
    return [sys.executable, "-m", "pytest", *PYTEST, *tests]


def collected(tree: Path, module: str) -> list[str]:
    """The node ids of the module's tests in their order ([] if they cannot be listed)."""
    listed = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"]
        + SELECTIONS[module],
        cwd=tree,
        env=test_env(tree),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if listed.returncode != 0:
        return []
    return [line for line in listed.stdout.splitlines() if "::" in line]


def first_failure(output: str, tests: set[str]) -> str | None:
    """The first of ``tests`` that a run's ``output`` reports failed (or erred)."""
    for line in output.splitlines():
        kind, _, rest = line.partition(" ")
        if kind not in ("FAILED", "ERROR"):
            continue
        # "FAILED <id> - <message>", where the id may hold " - " itself.
        cuts = [len(rest)] + [i for i in range(len(rest)) if rest.startswith(" - ", i)]
        name = next((rest[:cut] for cut in cuts if rest[:cut] in tests), None)
        if name is not None:
            return name
    return None


class KillOrder:
    """The order to run the tests in for each mutant: first those that killed the most
    mutants of its function, then those that killed the most of the module, the rest in
    the selection's order. With -x, a mutant like one killed before dies in its first
    test instead of after every test above it. Safe to use from the jobs' threads."""

    def __init__(self, tests: list[str], source: str) -> None:
        self._tests = tests
        self._known = set(tests)
        self._source = source
        self._lock = threading.Lock()
        self._overall: dict[str, int] = {}
        self._by_function: dict[str, dict[str, int]] = {}

    def note(self, mutant: Mutant, output: str) -> None:
        """``mutant`` was killed; ``output`` is its run's."""
        test = first_failure(output, self._known)
        if test is None:
            return
        function = enclosing(self._source, mutant.start[0])
        with self._lock:
            self._overall[test] = self._overall.get(test, 0) + 1
            local = self._by_function.setdefault(function, {})
            local[test] = local.get(test, 0) + 1

    def tests_for(self, mutant: Mutant) -> list[str]:
        function = enclosing(self._source, mutant.start[0])
        with self._lock:
            local = dict(self._by_function.get(function, {}))
            overall = dict(self._overall)
        return sorted(self._tests, key=lambda test: (-local.get(test, 0), -overall.get(test, 0)))


def test_env(tree: Path) -> dict[str, str]:
    env = dict(os.environ)
    # Subprocesses (the host, the app) import the copy, not the editable install.
    env["PYTHONPATH"] = str(tree)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env["BK_HYPOTHESIS_PROFILE"] = "mutation"  # tests/conftest.py: no shrinking
    return env


def run_tests(tree: Path, tests: list[str], timeout: float) -> tuple[bool | None, str]:
    """Run ``tests`` (pytest arguments) in ``tree``: (True: they failed, False: they passed, None:
    they could not run), and their output. Overtime counts as failed (a mutant that
    hangs is noticed: every wait in the product has an end)."""
    try:
        process = subprocess.Popen(
            test_command(tests),
            cwd=tree,
            env=test_env(tree),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    except OSError as error:
        return None, str(error)
    try:
        output, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        output, _ = process.communicate()
        return True, "timeout\n" + output.decode("utf-8", "replace")
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        end_strays(tree)
    text = output.decode("utf-8", "replace")
    if process.returncode == 0:
        return False, text
    if process.returncode in (1, 2, 3):  # tests failed, or collecting them did
        return True, text
    if process.returncode == 4 and "found no collectors for" in text:
        # Tests named by the ids the unmutated run collected are not found: the mutant
        # broke the import of their file (what collecting a whole file reports as 2).
        # A conftest that cannot be imported (4 as well) is a mutant that could not run.
        return True, text
    return None, text


def end_strays(tree: Path) -> int:
    """Kill what a run in ``tree`` left behind: an app that a (mutated) host started in a
    session of its own outlives the tests' process group when a test fails before its
    clean-up, and slows every run after it. Every process of the run has the copy on
    its ``PYTHONPATH`` (``test_env``). Returns how many were killed."""
    marker = b"\0PYTHONPATH=" + os.fsencode(tree) + b"\0"
    killed = 0
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            environ = (entry / "environ").read_bytes()
        except OSError:  # gone, or not ours to read
            continue
        if marker in b"\0" + environ:
            try:
                os.kill(int(entry.name), signal.SIGKILL)
                killed += 1
            except OSError:
                pass
    return killed


def mutate_and_test(
    tree: Path, mutant: Mutant, tests: list[str], timeout: float
) -> tuple[bool | None, str, str]:
    """Write ``mutant`` into ``tree``, run ``tests``, put the module back."""
    import difflib

    from cosmic_ray.mutating import use_mutation
    from cosmic_ray.plugins import get_operator

    path = tree / mutant.module
    with use_mutation(path, get_operator(mutant.operator)(), mutant.occurrence) as (
        original,
        mutated,
    ):
        if mutated is None:
            return None, "cosmic-ray found nothing to mutate", ""
        diff = "".join(
            difflib.unified_diff(
                original.splitlines(keepends=True),
                mutated.splitlines(keepends=True),
                fromfile=mutant.module,
                tofile=mutant.module,
                n=0,
            )
        )
        killed, output = run_tests(tree, tests, timeout)
    return killed, output, diff


def measure(module: str, trees: list[Path], fresh: bool, recheck: bool = False) -> Session:
    session = Session(module, fresh)
    if session.carried:
        print(f"{module}: changed; {session.carried} results kept from its unchanged functions")
    pending = session.pending(recheck)
    if not pending:
        print(f"{module}: nothing to run (every mutant has a result; no unreviewed survivor)")
        session.done()
        return session
    started = time.monotonic()
    # The tests one by one (the selection as it is if they cannot be listed), in the order
    # of what killed the mutants so far.
    listed = collected(trees[0], module)
    tests = listed or SELECTIONS[module]
    order = KillOrder(tests, _module_source(module))
    for mutant, result in session.results():
        if _killed(result):
            order.note(mutant, result.output or "")
    passed, output = run_tests(trees[0], tests, timeout=1800)
    baseline = time.monotonic() - started
    if passed is not False:
        print(output[-3000:])
        raise SystemExit(f"mutate: the tests of {module} fail without any mutant; fix them first")
    covered = trace(trees[0], module, listed, timeout=10 * baseline + 120) if listed else None
    timeout = 3 * baseline + 30
    print(
        f"{module}: {len(pending)} mutants to run, tests "
        f"{' '.join(t for t in SELECTIONS[module] if not t.startswith('--deselect'))} "
        f"({baseline:.1f} s unmutated; "
        f"{len(trees)} job{'s' if len(trees) > 1 else ''}; "
        + ("each mutant against the tests that run its line)" if covered else "every test)"),
        flush=True,
    )
    work: Queue[Mutant] = Queue()
    for mutant in pending:
        work.put(mutant)
    done: Queue[tuple[Mutant, bool | None, str, str]] = Queue()

    def worker(tree: Path) -> None:
        while True:
            try:
                mutant = work.get_nowait()
            except Empty:
                return
            ordered = order.tests_for(mutant)
            if covered is not None and (running := covered.tests_for(mutant)) is not None:
                ordered = [test for test in ordered if test in running] or ordered
            killed, output, diff = mutate_and_test(tree, mutant, ordered, timeout)
            done.put((mutant, killed, output, diff))

    threads = [threading.Thread(target=worker, args=(tree,), daemon=True) for tree in trees]
    for thread in threads:
        thread.start()
    for count in range(1, len(pending) + 1):
        mutant, killed, output, diff = done.get()
        session.record(mutant, killed, output, diff)  # the database stays on this thread
        if killed:
            order.note(mutant, output)
        mark = {True: "killed", False: "SURVIVED", None: "incompetent"}[killed]
        if killed is not True or count % 25 == 0:
            print(
                f"  [{count}/{len(pending)}] {mark}: line {mutant.start[0]} "
                f"{mutant.operator.removeprefix('core/')}",
                flush=True,
            )
    for thread in threads:
        thread.join()
    session.done()
    return session


def changed_lines(diff: str) -> tuple[str, str]:
    """A mutant's original and mutated source lines, stripped (a unified diff's - and +
    lines, each set joined by newlines): what ``mutation_reviews`` keys a review by, so
    that a review outlives the line numbers."""
    removed = [line[1:].strip() for line in diff.splitlines() if line[:1] == "-"]
    added = [line[1:].strip() for line in diff.splitlines() if line[:1] == "+"]
    removed = [line for line in removed if not line.startswith("--")]
    added = [line for line in added if not line.startswith("++")]
    return "\n".join(removed), "\n".join(added)


def enclosing(source: str, line: int) -> str:
    """The qualified name of the innermost function or class of ``source`` that holds
    ``line`` ("" at module level)."""
    path: list[str] = []

    def visit(node: ast.AST, prefix: list[str]) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                end = child.end_lineno or child.lineno
                if child.lineno <= line <= end:
                    path[:] = [*prefix, child.name]
                    visit(child, path[:])
                    return
            visit(child, prefix)

    visit(_parsed(source), [])
    return ".".join(path)


@functools.cache
def _parsed(source: str) -> ast.Module:
    """``source`` parsed once: a report names the function of every survivor."""
    return ast.parse(source)


def _module_source(module: str) -> str:
    return _read(ROOT / module)


@functools.cache
def _read(path: Path) -> str:
    """A module's source, read once: a report looks up every survivor's function."""
    return path.read_text(encoding="utf-8")


def review_key(mutant: Mutant, diff: str) -> tuple[str, str, str, str]:
    """How ``mutation_reviews`` names a mutant: module, enclosing function, original and
    mutated lines; it outlives line numbers."""
    source = _module_source(mutant.module)
    return (mutant.module, enclosing(source, mutant.start[0]), *changed_lines(diff))


def reviewed(mutant: Mutant, diff: str) -> str | None:
    """Why a surviving mutant is equivalent or harmless, if someone has reviewed it."""
    from tests.support.mutation_reviews import REVIEWED

    return REVIEWED.get(review_key(mutant, diff))


def stale_reviews(session: Session) -> list[tuple[str, str, str, str]]:
    """The reviews of ``session``'s module that no survivor matches, once every mutant
    has run against the current tests (a review of code since changed, or of a mutant a
    test now kills): each one is a claim about nothing."""
    from tests.support.mutation_reviews import REVIEWED

    if session.pending():
        return []
    matched = {review_key(mutant, diff) for mutant, diff in session.survivors()}
    return [key for key in REVIEWED if key[0] == session.module and key not in matched]


def report(sessions: list[Session]) -> None:
    print("\nSurviving mutants (reviewed ones with why they are equivalent or harmless):")
    for session in sessions:
        for mutant, diff in session.survivors():
            lines = [
                line
                for line in diff.splitlines()
                if line[:1] in "+-" and line[:3] not in ("+++", "---")
            ]
            why = reviewed(mutant, diff)
            print(
                f"  {mutant.module}:{mutant.start[0]} {mutant.operator.removeprefix('core/')}"
                + (f"  [reviewed: {why}]" if why else "  [NOT REVIEWED]")
            )
            for line in lines:
                print(f"      {line}")
    for session in sessions:
        for key in stale_reviews(session):
            print(f"  review matching no survivor of a complete run (remove it): {key}")
    print(
        "\n| module | mutants run | killed | survived | of which reviewed (equivalent) "
        "| skipped | other platform | score | score less the equivalent only | raw score |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for session in sessions:
        tally = session.tally()
        print(
            f"| `{session.module}` | {tally.killed + tally.survived + tally.incompetent} | "
            f"{tally.killed} | {tally.survived} | {tally.reviewed} ({tally.equivalent}) | "
            f"{tally.skipped} | {tally.elsewhere} | {tally.score:.1f} % | "
            f"{tally.killable_score:.1f} % | {tally.raw_score:.1f} % |"
            + (f" ({tally.incompetent} could not run)" if tally.incompetent else "")
        )


def main() -> int:
    parser = argparse.ArgumentParser(prog="./dev mutate", description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="*", help="modules or folders (default: the targets)")
    parser.add_argument("--jobs", "-j", type=int, default=1, help="copies tested at once")
    parser.add_argument("--fresh", action="store_true", help="forget earlier results")
    parser.add_argument(
        "--report", action="store_true", help="only print the sessions' results so far"
    )
    parser.add_argument(
        "--recheck",
        action="store_true",
        help="run the reviewed survivors again too (after the tests grew)",
    )
    args = parser.parse_args()
    modules = modules_named(args.paths)
    sessions: list[Session] = []
    if args.report:
        sessions = [Session(module, fresh=False) for module in modules]
    else:
        # Copies of this run's own: runs of other modules may go side by side.
        trees = [WORK / "trees" / f"{os.getpid()}-{index}" for index in range(max(1, args.jobs))]
        try:
            for tree in trees:
                stage(tree)
            for module in modules:
                sessions.append(measure(module, trees, args.fresh, args.recheck))
        finally:
            for tree in trees:
                shutil.rmtree(tree, ignore_errors=True)
    report(sessions)
    return 0


if __name__ == "__main__":
    sys.exit(main())
