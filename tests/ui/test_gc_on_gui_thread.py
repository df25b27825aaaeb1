"""Python's cyclic garbage collector runs on the GUI thread only (app/ui/shell/collector.py).

Left automatic, a collection runs in whatever thread crosses the threshold — a worker of kit.ops reading rows —
and a Python-owned Qt object caught in a reference cycle (a closed tab) is destroyed there, its C++ destructor
racing the GUI thread. Here a QObject in a cycle is dropped, a worker thread then allocates enough to cross every
threshold, and the thread that destroyed the object is recorded (its `destroyed` signal, connected directly, runs
in the destroying thread)."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator

import pytest
from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QApplication

from app.ui.shell import collector


@pytest.fixture
def guarded(qapp: QApplication) -> Iterator[collector.GuiThreadCollector]:
    """The collector the tests' application runs with (tests/conftest.py), at small generations for one test."""
    threshold = gc.get_threshold()
    gc.set_threshold(50, 5, 5)  # small generations: the worker's allocations below cross all three
    gc.collect()
    guard = collector.install(qapp)
    saved = guard.threshold
    guard.threshold = gc.get_threshold()
    yield guard
    guard.threshold = saved
    gc.set_threshold(*threshold)


def drop_cycle(destroyed_in: list[str]) -> None:
    holder = QObject()  # Python-owned (no parent), kept alive only by the cycle below
    holder.cycle = holder  # type: ignore[attr-defined]
    holder.destroyed.connect(lambda *_: destroyed_in.append(threading.current_thread().name),
                             Qt.ConnectionType.DirectConnection)


def allocate_on_worker() -> None:
    def churn() -> None:
        for _ in range(5000):
            cycle: list[object] = []
            cycle.append(cycle)  # cyclic garbage, as a worker leaves behind: only a collection frees it

    worker = threading.Thread(target=churn, name="worker")
    worker.start()
    worker.join()


def test_the_collector_is_installed_with_the_application_and_collects_on_the_gui_thread(
        qtbot, guarded: collector.GuiThreadCollector, qapp: QApplication) -> None:
    assert not gc.isenabled()  # no automatic collection in whatever thread allocates
    assert collector.install(qapp) is guarded  # one per application
    destroyed_in: list[str] = []
    drop_cycle(destroyed_in)
    allocate_on_worker()
    assert destroyed_in == []  # the worker crossed every threshold and collected nothing
    qtbot.waitUntil(lambda: destroyed_in != [], timeout=5000)
    assert destroyed_in == [threading.main_thread().name] and guarded.collections >= 1


def test_a_collector_collects_at_the_sizes_python_would_have_used(qapp: QApplication) -> None:
    threshold = gc.get_threshold()
    gc.set_threshold(321, 7, 9)
    try:
        guard = collector.GuiThreadCollector(qapp, interval_ms=60000)
        assert guard.threshold == (321, 7, 9) and not gc.isenabled()
        guard.stop()
        guard.setParent(None)
    finally:
        gc.set_threshold(*threshold)


def test_the_window_s_application_collects_on_the_gui_thread() -> None:
    """make_app (the window's application, not the tests'): automatic collection off, the collector installed."""
    import os
    import subprocess
    import sys

    code = ("import gc; from app.ui.shell.app import make_app; from app.ui.shell.collector import GuiThreadCollector; "
            "app = make_app(); print(gc.isenabled(), app.findChild(GuiThreadCollector) is not None)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    assert out.stdout.split()[-2:] == ["False", "True"], out.stderr
