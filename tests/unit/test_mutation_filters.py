"""What ``./dev mutate`` leaves out of a score (tests/support/mutation.py): code no test
here can run. Each filter is checked on source with the case and its near misses."""

from __future__ import annotations

from textwrap import dedent

from tests.support.mutation import annotation_spans, foreign_platform_spans

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
