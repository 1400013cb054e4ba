# PyInstaller's run-time hook for inspect, with base_library.zip read at the first call
# that needs it rather than at every start.
#
# What the hook is for: PyInstaller stores modules with relative file names
# (``co_filename``), and ``inspect.getsourcefile`` (tracebacks with source, the
# ``inspect`` module's source look-ups) must map them back to where a loader finds them:
# the modules in base_library.zip to their .pyc in it, the others to the bundle's folder.
# PyInstaller's own hook (pyi_rth_inspect, Apache-2.0) does that by listing
# base_library.zip when the program starts, which imports zipfile: ~10 ms of every
# start, before the app can listen (a traceback's source is rarely wanted). This one
# maps file names the same way and lists the archive once, when a file name first needs
# it.


def _pyi_rthook():
    import inspect
    import os
    import sys

    prefix = os.path.normpath(sys._MEIPASS)
    base_library = os.path.join(prefix, "base_library.zip")
    listed: list[set[str]] = []

    def base_library_files() -> set[str]:
        if not listed:
            names: set[str] = set()
            if os.path.isfile(base_library):
                import zipfile

                with zipfile.ZipFile(base_library, "r") as archive:
                    names = {os.path.normpath(name) for name in archive.namelist()}
            listed.append(names)
        return listed[0]

    original = inspect.getsourcefile

    def getsourcefile(obj):
        filename = os.path.normpath(inspect.getfile(obj))
        if not os.path.isabs(filename):
            # The frozen script itself is known by its __main__'s file.
            main_file = getattr(sys.modules["__main__"], "__file__", None)
            if main_file and filename == os.path.basename(main_file):
                return main_file
            # A module of base_library.zip: its .pyc in the archive (zipimport's loader
            # gives its source); any other: beside the bundle's folder.
            if filename + "c" in base_library_files():
                return os.path.normpath(os.path.join(base_library, filename + "c"))
            return os.path.normpath(os.path.join(prefix, filename))
        if filename.startswith(prefix):
            return filename
        return original(obj)

    inspect.getsourcefile = getsourcefile


_pyi_rthook()
del _pyi_rthook
