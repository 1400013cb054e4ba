# PyInstaller's run-time hook for PySide6 without its import of PySide6.QtCore.
#
# PyInstaller's own (pyi_rth_pyside6) imports QtCore at start-up to check for an
# embedded qt.conf, before the app runs a line: 100-150 ms of loading Qt before the app
# can listen, which it does before it loads Qt (the first call after login waits on it).
# PySide6's wheels register that qt.conf themselves when QtCore is imported (the check is
# a no-op for them); app/main.py makes sure of it once it has loaded Qt
# (``bundled_qt_conf``). The environment is set here as PyInstaller's hook sets it, but
# for what the app does not use: QML's second import path inside a macOS .app, and
# DYLD_LIBRARY_PATH for QtNetwork's OpenSSL on macOS (the spec excludes QtNetwork).


def _pyi_rthook():
    import os
    import sys

    from _pyi_rth_utils import qt as qt_rth_utils

    qt_rth_utils.ensure_single_qt_bindings_package("PySide6")
    if sys.platform.startswith("win"):
        qt_path = os.path.join(sys._MEIPASS, "PySide6")
    else:
        qt_path = os.path.join(sys._MEIPASS, "PySide6", "Qt")
    os.environ["QT_PLUGIN_PATH"] = os.path.join(qt_path, "plugins")
    os.environ["QML2_IMPORT_PATH"] = os.path.join(qt_path, "qml")
    if sys.platform.startswith("win"):
        from _pyi_rth_utils import prepend_path_to_environment_variable

        prepend_path_to_environment_variable(sys._MEIPASS, "PATH")


_pyi_rthook()
del _pyi_rthook
