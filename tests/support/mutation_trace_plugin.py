"""The pytest side of a tracing run of ``./dev mutate`` (tests/support/mutation_trace.py):
which test runs, told to every process of the run. Loaded with ``-p``; apart from the
tracer, which every process imports and which must not import pytest."""

from __future__ import annotations

from collections.abc import Generator

import pytest

from tests.support import mutation_trace


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item) -> Generator[None, object, object]:
    mutation_trace.rearm()
    mutation_trace.set_current(mutation_trace.name_test(item.nodeid))
    try:
        return (yield)
    finally:
        mutation_trace.set_current(0)
