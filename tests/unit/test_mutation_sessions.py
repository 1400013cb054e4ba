"""How ``./dev mutate`` keeps and orders its work (tests/support/mutation.py): results
outlive an edit elsewhere in the module, and the tests that killed most run first."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path
from textwrap import dedent

import pytest

from tests.support import mutation, mutation_reviews
from tests.support.mutation import Mutant, enclosing, unit_keys

BEFORE = dedent(
    """\
    LIMIT = 5


    def kept(x):
        return x + 1


    class Box:
        SIZE = 2

        def edited(self, y):
            return y * 2
    """
)

AFTER = dedent(
    """\
    LIMIT = 5


    def added():
        return 0


    def kept(x):
        return x + 1


    class Box:
        SIZE = 3

        def edited(self, y):
            return y * 3
    """
)


def _mutant(job: str, operator: str, line: int, col: int, occurrence: int = 0) -> Mutant:
    return Mutant(job, "m.py", operator, occurrence, (line, col), (line, col + 1))


def test_a_mutant_in_an_unchanged_function_keeps_its_key_when_lines_move() -> None:
    before = unit_keys(BEFORE, [_mutant("a", "Add_Sub", 5, 13)])
    after = unit_keys(AFTER, [_mutant("b", "Add_Sub", 9, 13)])  # four lines further down
    assert before["a"] == after["b"]
    assert before["a"][0] == "kept"


def test_a_mutant_in_a_changed_function_or_statement_gets_a_new_key() -> None:
    before = unit_keys(BEFORE, [_mutant("a", "Mul_Add", 12, 16), _mutant("c", "Number", 9, 11)])
    after = unit_keys(AFTER, [_mutant("b", "Mul_Add", 16, 16), _mutant("d", "Number", 13, 11)])
    assert before["a"][0] == after["b"][0] == "Box.edited"
    assert before["a"] != after["b"]  # "* 2" became "* 3": the mutant is not the same
    assert before["c"][0] == after["d"][0] == "Box"  # a class statement: its own unit
    assert before["c"] != after["d"]


def test_a_module_level_statement_is_its_own_unit() -> None:
    before = unit_keys(BEFORE, [_mutant("a", "Number", 1, 8)])
    after = unit_keys(AFTER, [_mutant("b", "Number", 1, 8)])
    assert before["a"] == after["b"]
    assert before["a"][0] == ""


def test_mutants_at_one_place_by_one_operator_keep_their_order() -> None:
    # A number replaced by one less and by one more: same operator, same place.
    keys = unit_keys(
        BEFORE, [_mutant("plus", "Number", 5, 15, 1), _mutant("minus", "Number", 5, 15, 0)]
    )
    assert keys["minus"][-1] == 0
    assert keys["plus"][-1] == 1
    assert keys["minus"][:-1] == keys["plus"][:-1]


def test_a_moved_method_is_not_the_same_unit() -> None:
    # The same text at another depth (a method made a function) reads differently.
    moved = BEFORE.replace("    def edited(self, y):\n        return y * 2\n", "") + dedent(
        """\


        def edited(self, y):
            return y * 2
        """
    )
    before = unit_keys(BEFORE, [_mutant("a", "Mul_Add", 12, 16)])
    after = unit_keys(moved, [_mutant("b", "Mul_Add", 14, 13)])
    assert before["a"] != after["b"]


TESTS = ["t.py::a", "t.py::b", "t.py::c[x - y]", "t.py::d"]


def test_a_runs_first_failure_is_named_even_with_a_dash_in_its_id() -> None:
    known = set(TESTS)
    output = "....F\nFAILED t.py::c[x - y] - assert 1 == 2\nFAILED t.py::a - later\n"
    assert mutation.first_failure(output, known) == "t.py::c[x - y]"
    assert mutation.first_failure("ERROR t.py::d - fixture\n", known) == "t.py::d"
    assert mutation.first_failure("FAILED t.py::a_longer_name - not a\n", known) is None
    assert mutation.first_failure("timeout\nFAILED t.py::gone - x\n", known) is None


def test_the_tests_that_killed_the_functions_mutants_run_first_then_the_modules() -> None:
    order = mutation.KillOrder(TESTS, BEFORE)
    in_kept = _mutant("k", "Add_Sub", 5, 13)
    in_edited = _mutant("e", "Mul_Add", 12, 16)
    assert order.tests_for(in_kept) == TESTS  # nothing killed yet: the selection's order
    order.note(_mutant("k1", "Add_Mul", 5, 13), "FAILED t.py::d - x\n")
    for job in ("e1", "e2"):
        order.note(_mutant(job, "Mul_Sub", 12, 16), "FAILED t.py::c[x - y] - x\n")
    order.note(_mutant("k2", "Number", 5, 15), "timeout\n")  # names no test: no count
    assert order.tests_for(in_kept) == ["t.py::d", "t.py::c[x - y]", "t.py::a", "t.py::b"]
    assert order.tests_for(in_edited) == ["t.py::c[x - y]", "t.py::d", "t.py::a", "t.py::b"]


def _session_root(root: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A project of one module at ``root``, with the session folder under it."""
    (root / "tests").mkdir()
    (root / "tests" / "conftest.py").write_text("")
    (root / "tests" / "test_mod.py").write_text("def test_nothing():\n    pass\n")
    (root / "pkg").mkdir()
    (root / "pkg" / "mod.py").write_text(BEFORE)
    monkeypatch.setattr(mutation, "ROOT", root)
    monkeypatch.setattr(mutation, "WORK", root / "build")
    monkeypatch.setitem(mutation.SELECTIONS, "pkg/mod.py", ["tests/test_mod.py"])
    return "pkg/mod.py"


def _outputs(session: mutation.Session) -> list[tuple[str, int, str, str]]:
    """Each result: the mutant's function, column and operator, and the run's output."""
    source = (mutation.ROOT / session.module).read_text()
    return sorted(
        (enclosing(source, mutant.start[0]), mutant.start[1], mutant.operator, result.output)
        for mutant, result in session.results()
    )


def test_an_edited_module_keeps_the_results_of_its_unchanged_functions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    module = _session_root(tmp_path, monkeypatch)
    first = mutation.Session(module, fresh=False)
    ran = first.pending()
    source = BEFORE
    for index, mutant in enumerate(ran):
        survived = mutation.enclosing(source, mutant.start[0]) == "kept" and index % 2 == 0
        first.record(mutant, killed=not survived, output=f"run {index}", diff="")
    first.done()
    ran_before = [result for result in _outputs(first) if result[3].startswith("run")]
    kept_before = [result for result in ran_before if result[0] in ("kept", "")]
    assert kept_before
    assert len(kept_before) < len(ran_before)

    (tmp_path / module).write_text(AFTER)
    second = mutation.Session(module, fresh=False)
    # "kept" and "LIMIT = 5" read the same: their results stay; "Box" changed, "added" is new.
    assert second.carried == len(kept_before)
    carried = [
        (*result[:3], result[3].removeprefix(mutation.CARRIED))
        for result in _outputs(second)
        if result[3].startswith(mutation.CARRIED)
    ]
    assert carried == kept_before
    pending = {mutation.enclosing(AFTER, m.start[0]) for m in second.pending()}
    assert pending == {"added", "Box", "Box.edited"}
    assert not second.retest  # the tests did not change: the kept survivors stand


def test_kept_survivors_are_tried_again_when_the_tests_changed_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    module = _session_root(tmp_path, monkeypatch)
    first = mutation.Session(module, fresh=False)
    for mutant in first.pending():
        first.record(mutant, killed=False, output="passed", diff="")
    first.done()
    (tmp_path / module).write_text(AFTER)
    (tmp_path / "tests" / "test_mod.py").write_text("def test_more():\n    pass\n")
    second = mutation.Session(module, fresh=False)
    assert second.carried > 0
    assert second.retest
    retried = [m for m in second.pending() if mutation.enclosing(AFTER, m.start[0]) == "kept"]
    assert retried  # carried survivors, run against tests they have not met


def test_fresh_keeps_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    module = _session_root(tmp_path, monkeypatch)
    first = mutation.Session(module, fresh=False)
    count = len(first.pending())
    for mutant in first.pending():
        first.record(mutant, killed=True, output="failed", diff="")
    first.done()
    again = mutation.Session(module, fresh=True)
    assert again.carried == 0
    assert len(again.pending()) == count


def test_without_its_copy_the_measured_source_is_found_in_the_modules_commits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A session from before copies were kept, and the edit committed before the next run:
    # HEAD holds the new module, an earlier commit the measured one.
    module = _session_root(tmp_path, monkeypatch)

    def git(*args: str) -> None:
        subprocess.run(
            ["git", "-c", "user.name=t", "-c", "user.email=t@t", *args],
            cwd=tmp_path,
            check=True,
            capture_output=True,
        )

    git("init", "-q")
    git("add", module)
    git("commit", "-qm", "measured")
    first = mutation.Session(module, fresh=False)
    for mutant in first.pending():
        first.record(mutant, killed=True, output="failed", diff="")
    first.done()
    (mutation.WORK / "sessions" / "pkg__mod.source").unlink()
    (tmp_path / module).write_text(AFTER)
    git("commit", "-qam", "edited")
    (tmp_path / module).write_text(AFTER + "\n\nEXTRA = 1\n")  # and edited again since
    second = mutation.Session(module, fresh=False)
    assert second.carried > 0


def test_a_review_that_matches_no_survivor_of_a_complete_run_is_stale(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    module = _session_root(tmp_path, monkeypatch)
    session = mutation.Session(module, fresh=False)
    pending = session.pending()
    survivor = next(m for m in pending if enclosing(BEFORE, m.start[0]) == "kept")
    diff = "--- a\n+++ b\n@@ -5 +5 @@\n-    return x + 1\n+    return x - 1\n"
    matching = (module, "kept", "return x + 1", "return x - 1")
    stale = (module, "Box.edited", "return y * 2", "return y / 2")
    other_module = ("pkg/other.py", "f", "a", "b")
    reviews = {matching: "equivalent", stale: "code since changed", other_module: "elsewhere"}
    monkeypatch.setattr(mutation_reviews, "REVIEWED", reviews)
    for mutant in pending[:-1]:
        session.record(mutant, killed=mutant is not survivor, output="", diff=diff)
    assert mutation.stale_reviews(session) == []  # one mutant has not run: nothing to say
    session.record(pending[-1], killed=pending[-1] is not survivor, output="", diff=diff)
    assert mutation.stale_reviews(session) == [stale]


def test_what_a_run_left_behind_in_a_session_of_its_own_is_ended(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    other = tmp_path / "tree-2"  # another job's copy, whose name starts the same
    stray, bystander = (
        subprocess.Popen(
            ["sleep", "60"], env={**os.environ, "PYTHONPATH": str(path)}, start_new_session=True
        )
        for path in (tree, other)
    )
    try:
        assert mutation.end_strays(tree) == 1
        assert stray.wait(timeout=5) == -signal.SIGKILL
        assert bystander.poll() is None
    finally:
        bystander.kill()
        bystander.wait()


def test_every_review_says_which_kind_it_is() -> None:
    kinds = (mutation_reviews.EQUIVALENT, mutation_reviews.HARMLESS, mutation_reviews.WINDOWS_ONLY)
    for key, why in mutation_reviews.REVIEWED.items():
        assert sum(why in kind for kind in kinds) == 1, key
    assert all(why.startswith("Windows only") for why in mutation_reviews.WINDOWS_ONLY)


def test_the_three_scores() -> None:
    # 90 killed; 10 survived, 8 of them reviewed, 5 of those as equivalent.
    tally = mutation.Tally(killed=90, survived=10, reviewed=8, equivalent=5)
    assert round(tally.score, 1) == 97.8  # 90 / (100 - 8): what no review explains
    assert round(tally.killable_score, 1) == 94.7  # 90 / (100 - 5): equivalents apart
    assert tally.raw_score == 90.0


def test_recheck_runs_the_reviewed_survivors_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    module = _session_root(tmp_path, monkeypatch)
    session = mutation.Session(module, fresh=False)
    pending = session.pending()
    survivor = next(m for m in pending if enclosing(BEFORE, m.start[0]) == "kept")
    diff = "--- a\n+++ b\n@@ -5 +5 @@\n-    return x + 1\n+    return x - 1\n"
    reviews = {(module, "kept", "return x + 1", "return x - 1"): "equivalent"}
    monkeypatch.setattr(mutation_reviews, "REVIEWED", reviews)
    for mutant in pending:
        session.record(mutant, killed=mutant is not survivor, output="", diff=diff)
    session.done()
    session.retest = True  # the tests changed: reviewed survivors stay reviewed
    assert session.pending() == []
    assert session.pending(recheck=True) == [survivor]
