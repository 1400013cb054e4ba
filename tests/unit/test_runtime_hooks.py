"""The bundle's run-time hooks of ours (packaging/hooks/rthooks) behave as PyInstaller's
hooks they replace, without their cost at start-up."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from importlib.util import find_spec
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OURS = ROOT / "packaging" / "hooks" / "rthooks" / "pyi_rth_inspect_lazy.py"
PYINSTALLER = find_spec("PyInstaller")  # a dev dependency; the bundle is built with it
assert PYINSTALLER is not None
assert PYINSTALLER.origin is not None
THEIRS = Path(PYINSTALLER.origin).parent / "hooks" / "rthooks" / "pyi_rth_inspect.py"

# Run in a process of its own (the hooks patch the inspect module): a fake bundle folder
# (sys._MEIPASS) with a base_library.zip, and functions whose code carries the relative
# file names PyInstaller gives the modules it collects.
PROBE = """
import inspect, json, os, runpy, sys
sys._MEIPASS = sys.argv[1]
hook = sys.argv[2]
functions = {}
for name in ("os.py", "collections/__init__.py", "app/main.py", "probe_main.py"):
    scope = {}
    exec(compile("def f(): pass", name, "exec"), scope)
    functions[name] = scope["f"]
scope = {}
exec(compile("def f(): pass", os.path.join(sys._MEIPASS, "app", "cli.py"), "exec"), scope)
functions["absolute, in the bundle"] = scope["f"]
functions["absolute, elsewhere"] = json.dumps
sys.modules["__main__"].__file__ = os.path.join(sys._MEIPASS, "probe_main.py")
runpy.run_path(hook)
zipfile_at_start = "zipfile" in sys.modules
print(json.dumps({
    "zipfile at start": zipfile_at_start,
    "files": {name: inspect.getsourcefile(f) for name, f in functions.items()},
}))
"""


def run_hook(hook: Path, bundle: Path) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(bundle), str(hook)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    result: dict[str, object] = json.loads(done.stdout)
    return result


def test_the_inspect_hook_maps_file_names_as_pyinstallers_does(tmp_path: Path) -> None:
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    with zipfile.ZipFile(bundle / "base_library.zip", "w") as archive:
        archive.writestr("os.pyc", b"")
        archive.writestr("collections/__init__.pyc", b"")
    ours, theirs = run_hook(OURS, bundle), run_hook(THEIRS, bundle)
    assert ours["files"] == theirs["files"]
    files = ours["files"]
    assert isinstance(files, dict)
    assert files["os.py"] == str(bundle / "base_library.zip" / "os.pyc")
    assert files["app/main.py"] == str(bundle / "app" / "main.py")
    assert files["probe_main.py"] == str(bundle / "probe_main.py")


def test_the_inspect_hook_reads_the_archive_only_when_asked(tmp_path: Path) -> None:
    """PyInstaller's lists base_library.zip at every start (zipfile's import: ~10 ms
    before the app can listen); ours at the first file name that needs it."""
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    with zipfile.ZipFile(bundle / "base_library.zip", "w") as archive:
        archive.writestr("os.pyc", b"")
    assert run_hook(THEIRS, bundle)["zipfile at start"] is True
    assert run_hook(OURS, bundle)["zipfile at start"] is False


def test_without_base_library_the_hooks_agree_too(tmp_path: Path) -> None:
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    assert run_hook(OURS, bundle)["files"] == run_hook(THEIRS, bundle)["files"]
