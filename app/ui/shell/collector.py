"""Python's cyclic garbage collector runs on the GUI thread only (the pattern of pyqtgraph and Anki's aqt).

Left automatic, a collection runs in whichever thread happens to allocate when a generation's threshold is
crossed — often a worker of `kit.ops` reading rows. Everything unreachable is freed there, including a
Python-owned Qt object (a closed tab, a dialog) caught in a reference cycle: its C++ destructor then runs
on the worker thread while the GUI thread may be painting it, and the program can crash (seen once in a
benchmark harness). So automatic collection is switched off and a timer on the GUI thread collects each
generation whose count has passed the threshold Python would have used — the same amount of collecting, at
the same sizes, only always on the GUI thread (a young-generation pass takes well under a millisecond)."""

from __future__ import annotations

import gc

from PySide6.QtCore import QCoreApplication, QObject, QTimer


class GuiThreadCollector(QObject):
    INTERVAL_MS = 1000

    def __init__(self, app: QCoreApplication, interval_ms: int = INTERVAL_MS) -> None:
        super().__init__(app)
        self.threshold = gc.get_threshold()
        self.was_enabled = gc.isenabled()
        gc.disable()
        self.collections = 0  # passes made (tests)
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.check)
        self.timer.start(interval_ms)

    def check(self) -> None:
        """Collect the generations Python would have collected by now (oldest included only when due)."""
        counts = gc.get_count()
        generation = -1
        for level in range(3):
            if counts[level] > self.threshold[level]:
                generation = level
            else:
                break
        if generation >= 0:
            gc.collect(generation)
            self.collections += 1

    def stop(self) -> None:
        """Automatic collection back as it was (tests that install one on their own application)."""
        self.timer.stop()
        if self.was_enabled:
            gc.enable()


def install(app: QCoreApplication) -> GuiThreadCollector:
    """Once per application: later calls return the one installed."""
    found = app.findChild(GuiThreadCollector)
    return found if isinstance(found, GuiThreadCollector) else GuiThreadCollector(app)
