"""How ``./dev mutate`` keeps and orders its work (tests/support/mutation.py): results
outlive an edit elsewhere in the module, and the tests that killed most run first."""

from __future__ import annotations

from textwrap import dedent

from tests.support.mutation import Mutant, killers_first, unit_keys

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


def test_the_tests_that_killed_most_run_first_and_the_rest_keep_their_order() -> None:
    outputs = [
        "....F\nFAILED t.py::c[x - y] - assert 1 == 2\nFAILED t.py::a - later\n",
        "FAILED t.py::c[x - y] - AssertionError\n",
        "ERROR t.py::d - fixture\n",
        "timeout\nFAILED t.py::unknown - gone\n",
        "FAILED t.py::a_longer_name - not a\n",
    ]
    assert killers_first(TESTS, outputs) == ["t.py::c[x - y]", "t.py::d", "t.py::a", "t.py::b"]


def test_without_kills_the_order_is_the_selections() -> None:
    assert killers_first(TESTS, []) == TESTS
