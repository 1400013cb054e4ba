"""Surviving mutants reviewed as equivalent: no test can tell them from the original,
because the program does the same thing either way (on every platform the code runs on).
Each is keyed by its module and its original and mutated lines (stripped, as
``mutation.changed_lines`` gives them) and says why. ``./dev mutate`` leaves them out of
the score and prints them apart; a survivor not listed here is a gap until a test kills
it or a review lands here. Reviews of code that runs on one platform hold for that one.
"""

from __future__ import annotations

EQUIVALENT: dict[tuple[str, str, str], str] = {}
