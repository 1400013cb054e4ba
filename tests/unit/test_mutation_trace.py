"""A tracing run of ``./dev mutate`` (tests/support/mutation_trace.py) credits each line of
the module to the tests that ran it: in pytest's process, in a process a test started, in
one ended with SIGKILL, and in one started by an earlier test that serves a later one."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path
from textwrap import dedent

import pytest

from tests.support import mutation

MODULE = dedent(
    """\
    def here():
        return 1


    def child():
        return 2


    def killed():
        return 3


    def served():
        return 4


    def never():
        return 5
    """
)

TESTS = dedent(
    """\
    import os
    import signal
    import subprocess
    import sys

    from pkg import mod

    RUN = [sys.executable, "-c"]
    server = []


    def test_deep():
        # At the recursion limit Python drops the trace function (calling it raises).
        def down(n):
            return down(n + 1)

        try:
            down(0)
        except RecursionError:
            pass


    def test_here():
        assert mod.here() == 1


    def test_child():
        subprocess.run([*RUN, "from pkg import mod; mod.child()"], check=True)


    def test_killed():
        code = "import os, signal; from pkg import mod; mod.killed(); os.kill(os.getpid(), 9)"
        assert subprocess.run([*RUN, code]).returncode == -signal.SIGKILL


    def test_starts_a_server():
        code = "import sys; from pkg import mod; sys.stdin.readline(); mod.served()"
        server.append(subprocess.Popen([*RUN, code], stdin=subprocess.PIPE))


    def test_is_served():
        server[0].communicate(b"go\\n", timeout=30)
    """
)


def _project(root: Path) -> None:
    """A project of one module and its tests, with the tracer, staged as ``stage`` does."""
    for folder in ("pkg", "tests", "tests/support"):
        (root / folder).mkdir(parents=True)
        (root / folder / "__init__.py").write_text("")
    (root / "pkg" / "mod.py").write_text(MODULE)
    (root / "tests" / "test_mod.py").write_text(TESTS)
    support = Path(mutation.__file__).parent
    for name in ("mutation_trace.py", "mutation_trace_plugin.py"):
        shutil.copy(support / name, root / "tests" / "support" / name)
    (root / "sitecustomize.py").write_text(mutation.SITECUSTOMIZE)


def test_each_line_is_credited_to_the_tests_that_ran_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _project(tmp_path)
    monkeypatch.setattr(mutation, "ROOT", tmp_path)
    monkeypatch.setattr(mutation, "WORK", tmp_path / "build")
    names = ["test_here", "test_child", "test_killed", "test_starts_a_server", "test_is_served"]
    tests = [f"tests/test_mod.py::{name}" for name in names]
    covered = mutation.trace(tmp_path, "pkg/mod.py", ["tests/test_mod.py::test_deep", *tests], 120)
    assert covered is not None
    body = {"here": 2, "child": 6, "killed": 10, "served": 14, "never": 18}
    assert covered.by_line.get(body["here"]) == {tests[0]}  # pytest's, after test_deep
    assert covered.by_line.get(body["child"]) == {tests[1]}  # a process it started
    assert covered.by_line.get(body["killed"]) == {tests[2]}  # one ended by SIGKILL
    assert covered.by_line.get(body["served"]) == {tests[4]}  # started earlier, serving now
    assert body["never"] not in covered.by_line
    assert {1, 5, 9, 13, 17} <= covered.outside  # the defs, run as the module is imported

    def mutant(line: int) -> mutation.Mutant:
        return mutation.Mutant("j", "pkg/mod.py", "Number", 0, (line, 11), (line, 12))

    assert covered.tests_for(mutant(body["served"])) == {tests[4]}
    assert covered.tests_for(mutant(body["never"])) is None  # no test ran it: run them all
    assert covered.tests_for(mutant(1)) is None  # run on import: any test may notice


@pytest.mark.skipif(sys.platform == "win32", reason="mutation runs are POSIX")
def test_a_run_that_cannot_start_tells_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _project(tmp_path)
    (tmp_path / "tests" / "support" / "mutation_trace_plugin.py").unlink()
    monkeypatch.setattr(mutation, "ROOT", tmp_path)
    monkeypatch.setattr(mutation, "WORK", tmp_path / "build")
    assert mutation.trace(tmp_path, "pkg/mod.py", ["tests/test_mod.py"], timeout=60) is None
