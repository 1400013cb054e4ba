"""The code is ruff- and mypy --strict-clean: checked by the same suite CI runs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, check=False, cwd=ROOT, capture_output=True, text=True, timeout=600
    )


def test_ruff_lint_is_clean() -> None:
    done = run(str(BIN / "ruff"), "check", ".")
    assert done.returncode == 0, done.stdout + done.stderr


def test_ruff_format_is_clean() -> None:
    done = run(str(BIN / "ruff"), "format", "--check", ".")
    assert done.returncode == 0, done.stdout + done.stderr


# mypy checks as the platform it runs on. On Windows the tests' POSIX parts (other users,
# signals, Unix sockets, resource limits) do not type-check; there Linux CI checks host/ and
# app/ as Windows instead (`mypy --platform win32 host app`, .github/workflows/ci.yml).
@pytest.mark.skipif(
    sys.platform == "win32",
    reason="needs POSIX: the tests' POSIX parts do not type-check as Windows "
    "(Linux CI runs mypy --platform win32 on host/ and app/)",
)
def test_mypy_strict_is_clean() -> None:
    done = run(str(BIN / "mypy"))
    assert done.returncode == 0, done.stdout + done.stderr
