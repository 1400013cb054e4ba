"""How the desktop bundle freezes a program: what of PySide6 and the standard library is
left out, which Qt plugins are kept, which binaries, and the options of its Analysis and
EXE. Loaded by packaging/bridgekeeper.spec (the bundle) and by the cold-start benchmark's
floor (benchmarks/floor.spec: a program that only builds a QApplication, frozen the same
way), so that both are built alike. Runs inside PyInstaller (``runpy.run_path``).
"""
# ruff: noqa

import os
import sys
from pathlib import Path

from PyInstaller.depend import bindepend

ROOT = Path(__file__).resolve().parent.parent

# The Qt modules the app imports; everything else of PySide6 is excluded.
QT_MODULES = {"QtCore", "QtGui", "QtWidgets", "QtSvg"}
ALL_QT_MODULES = {
    "Qt3DAnimation",
    "Qt3DCore",
    "Qt3DExtras",
    "Qt3DInput",
    "Qt3DLogic",
    "Qt3DRender",
    "QtAxContainer",
    "QtBluetooth",
    "QtCharts",
    "QtConcurrent",
    "QtDataVisualization",
    "QtDBus",
    "QtDesigner",
    "QtGraphs",
    "QtGraphsWidgets",
    "QtHelp",
    "QtHttpServer",
    "QtLocation",
    "QtMultimedia",
    "QtMultimediaWidgets",
    "QtNetwork",
    "QtNetworkAuth",
    "QtNfc",
    "QtOpenGL",
    "QtOpenGLWidgets",
    "QtPdf",
    "QtPdfWidgets",
    "QtPositioning",
    "QtPrintSupport",
    "QtQml",
    "QtQuick",
    "QtQuick3D",
    "QtQuickControls2",
    "QtQuickTest",
    "QtQuickWidgets",
    "QtRemoteObjects",
    "QtScxml",
    "QtSensors",
    "QtSerialBus",
    "QtSerialPort",
    "QtSpatialAudio",
    "QtSql",
    "QtStateMachine",
    "QtSvgWidgets",
    "QtTest",
    "QtTextToSpeech",
    "QtUiTools",
    "QtWebChannel",
    "QtWebEngineCore",
    "QtWebEngineQuick",
    "QtWebEngineWidgets",
    "QtWebSockets",
    "QtWebView",
    "QtXml",
}
EXCLUDED_MODULES = [
    *(f"PySide6.{name}" for name in sorted(ALL_QT_MODULES - QT_MODULES)),
    # Never bundled: keyrings.alt stores secrets as base64 plain text and makes itself
    # the default backend once importable.
    "keyrings.alt",
    "tkinter",
    "_tkinter",
    "unittest",
    "pydoc",
    "pydoc_data",
    "doctest",
    "lib2to3",
    "idlelib",
    "ensurepip",
    "venv",
    "distutils",
    "setuptools",
    "pip",
    "pkg_resources",
    "PyQt5",
    "PyQt6",
    "PySide2",
    "IPython",
    "numpy",
    # Nothing here speaks TLS or needs OpenSSL hashes (jaraco.context pulls in
    # urllib.request, which imports ssl only if present): 5 MB of libssl/libcrypto less.
    "ssl",
    "_ssl",
    "_hashlib",
    # Nothing here starts processes through multiprocessing (only concurrent.futures'
    # ProcessPoolExecutor would, and nothing uses it): bundled, it brings PyInstaller's
    # run-time hook for it, which imports it at every start (~13 ms before the app can
    # listen).
    "multiprocessing",
]

# Qt plugins kept, by folder: platform back ends (offscreen for tests and headless use,
# xcb for X11 and XWayland, and the native ones on Windows and macOS), SVG icons,
# keyboard composition for typed answers, native widget styles. Everything else (GTK
# and portal themes, GL integrations, TLS, network information, PDF, ...) is dropped.
KEPT_PLUGINS = {
    "platforms": {"qoffscreen", "qxcb", "qwindows", "qcocoa"},
    "imageformats": {"qsvg", "qico"},
    "iconengines": {"qsvgicon"},
    "platforminputcontexts": {
        "composeplatforminputcontextplugin",
        "ibusplatforminputcontextplugin",
    },
    "styles": {"qmodernwindowsstyle", "qwindowsvistastyle", "qmacstyle"},
}


def _plugin_name(filename: str) -> str:
    stem = filename.split(".")[0]
    return stem[3:] if stem.startswith("lib") else stem


def _keep_qt_file(dest: str) -> bool:
    """Whether a file under PySide6/Qt belongs in the bundle (by its bundle path)."""
    parts = Path(dest).parts
    if "PySide6" not in parts:
        return True
    rest = parts[parts.index("PySide6") + 1 :]
    if rest[:1] == ("Qt",):
        rest = rest[1:]
    if rest[:1] == ("translations",):
        # Qt's own texts (a text field's menu) in the languages the app ships besides
        # English (app/system/languages.py); the app's are in assets/translations.
        return rest[-1:] in (("qtbase_zh_CN.qm",),)
    if rest[:1] == ("qml",):
        return False
    if rest[:1] == ("plugins",):
        if len(rest) < 3:
            return False
        return _plugin_name(rest[-1]) in KEPT_PLUGINS.get(rest[1], set())
    return True


def _linked_closure(binaries):
    """Keep a binary only if a Python extension module, a kept plugin or the Python
    library needs it, directly or through another kept binary."""
    by_name = {}
    for dest, src, kind in binaries:
        by_name.setdefault(os.path.basename(dest), []).append((dest, src, kind))
        by_name.setdefault(os.path.basename(src), []).append((dest, src, kind))

    def is_root(dest, kind):
        name = os.path.basename(dest)
        return (
            kind == "EXTENSION"
            or name.endswith((".pyd", ".abi3.so"))
            or ".cpython-" in name
            or "plugins" in Path(dest).parts
            or name.lower().startswith(("libpython", "python3", "python"))
            or name.endswith(".dylib")
            and "Python" in name
        )

    kept = {}
    todo = [entry for entry in binaries if is_root(entry[0], entry[2])]
    while todo:
        entry = todo.pop()
        if entry[0] in kept:
            continue
        kept[entry[0]] = entry
        try:
            imports = bindepend.get_imports(entry[1])
        except Exception:
            imports = set()
        for name, resolved in imports:
            for candidate in (name, os.path.basename(resolved or "")):
                for needed in by_name.get(os.path.basename(candidate), []):
                    if needed[0] not in kept:
                        todo.append(needed)
    # Symbolic links (Qt's libraries aliased at the top level) go with their targets.
    targets = {os.path.normpath(dest) for dest in kept}
    return [
        entry
        for entry in binaries
        if entry[0] in kept
        and (
            entry[2] != "SYMLINK"
            or os.path.normpath(os.path.join(os.path.dirname(entry[0]), entry[1])) in targets
        )
    ]


def trim(analysis):
    """Keep of an Analysis' binaries and data only what the rules above keep."""
    binaries = [entry for entry in analysis.binaries if _keep_qt_file(entry[0])]
    # Linux is where the build machine's own libraries get swept in; Windows and macOS
    # wheels carry their own, so the plugin rules above suffice there.
    analysis.binaries = _linked_closure(binaries) if sys.platform == "linux" else binaries
    analysis.datas = [entry for entry in analysis.datas if _keep_qt_file(entry[0])]


# The options every frozen program of ours is built with (Analysis, then EXE and COLLECT).
ANALYSIS_OPTIONS = {
    "excludes": EXCLUDED_MODULES,
    # Our run-time hook for PySide6 in place of PyInstaller's, which loads Qt before the
    # app can listen (packaging/hooks/rthooks/pyi_rth_pyside6_lazy.py).
    "hookspath": [str(ROOT / "packaging" / "hooks")],
    "optimize": 1,
}
STRIP = sys.platform == "linux"
"""EXE and COLLECT: strip the binaries (Linux)."""
