"""What ``./dev mutate`` leaves out of a score (tests/support/mutation.py): code no test
here can run. Each filter is checked on source with the case and its near misses."""

from __future__ import annotations

from textwrap import dedent

from tests.support.mutation import (
    annotation_spans,
    changed_lines,
    enclosing,
    foreign_platform_spans,
)

SOURCE = dedent(
    """\
    import sys

    def f(x: int) -> str:
        if sys.platform == "win32":
            a = 1
            b = 2
        if sys.platform != "win32":
            c = 3
        else:
            d = 4
        if sys.platform == "linux":
            e = 5
        if platform == "win32":
            g = 6
        if sys.platform != "darwin":
            h = 7
        return "x"
    """
)


def _lines(spans: list[tuple[tuple[int, int], tuple[int, int]]]) -> list[tuple[int, int]]:
    return sorted((start[0], end[0]) for start, end in spans)


def test_windows_and_macos_only_bodies_are_code_for_another_platform_on_linux() -> None:
    # == "win32": its body (lines 5-6); != "win32": its else (line 10); the conditions,
    # this platform's branch, a parameter named platform and an != without else are run.
    assert _lines(foreign_platform_spans(SOURCE, here="linux")) == [(5, 6), (10, 10)]


def test_on_windows_the_posix_branches_are_the_other_platforms() -> None:
    # != "win32" runs on Windows only in its else; == "linux" is another platform's body.
    assert _lines(foreign_platform_spans(SOURCE, here="win32")) == [(8, 8), (12, 12)]


def test_annotations_are_left_out_and_code_is_not() -> None:
    spans = annotation_spans(SOURCE)
    assert _lines(spans) == [(3, 3), (3, 3)]  # "int" and "str", nothing in the body


NESTED = dedent(
    """\
    X = 1

    class Relay:
        def run(self) -> None:
            while True:
                break

        def finish(self) -> None:
            def inner() -> None:
                return None

            return inner()
    """
)


def test_a_review_names_the_innermost_function_that_holds_the_line() -> None:
    assert enclosing(NESTED, 1) == ""
    assert enclosing(NESTED, 3) == "Relay"
    assert enclosing(NESTED, 6) == "Relay.run"
    assert enclosing(NESTED, 10) == "Relay.finish.inner"
    assert enclosing(NESTED, 12) == "Relay.finish"


def test_a_review_keys_the_changed_lines_without_their_indentation() -> None:
    diff = (
        "--- host/relay.py\n+++ host/relay.py\n@@ -6 +6 @@\n"
        "-                break\n+                continue\n"
    )
    assert changed_lines(diff) == ("break", "continue")
