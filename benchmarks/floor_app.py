# The cold-start benchmark's floor (benchmarks/coldstart.py): what any Qt app pays before
# its first line of work. Run by this interpreter, and frozen as the bundle is
# (benchmarks/floor.spec). Prints "up" once the QApplication is built.
from PySide6.QtWidgets import QApplication

app = QApplication(["floor"])
import os  # noqa: E402

os.write(1, b"up\n")
