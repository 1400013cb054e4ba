"""What every command shares: its exit codes and how it says it was used wrongly."""

from __future__ import annotations

import sys
from enum import IntEnum


class Exit(IntEnum):
    """The exit code of every command (SPEC "Command line")."""

    OK = 0
    PROBLEM = 1
    """A problem was found, or the command failed."""
    USAGE = 2


class UsageError(Exception):
    """The command was given something it cannot take; the message says what and what it
    takes. The command line prints it and exits ``Exit.USAGE``."""


def fail(message: str) -> Exit:
    """Say what went wrong on stderr; ``Exit.PROBLEM``."""
    print(f"bridgekeeper: {message}", file=sys.stderr)
    return Exit.PROBLEM
