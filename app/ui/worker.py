"""Long work off the GUI thread, with a progress dialog that can cancel it."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal
from PySide6.QtWidgets import QProgressDialog, QWidget

from ..models.errors import AppError


class Cancelled(AppError):
    def __init__(self) -> None:
        super().__init__("已取消，未写入任何数据。")


class Progress:
    """Handed to the job: `step(done, total, text)` reports, and raises Cancelled once the user cancels."""

    def __init__(self, signal: Signal) -> None:
        self._signal = signal
        self.cancelled = threading.Event()

    def step(self, done: int, total: int, text: str = "") -> None:
        if self.cancelled.is_set():
            raise Cancelled()
        self._signal.emit(done, total, text)


class _Runner(QObject):
    progressed = Signal(int, int, str)
    finished = Signal(object, object)  # result, error

    def __init__(self, job: Callable[[Progress], Any]) -> None:
        super().__init__()
        self.job = job
        self.progress = Progress(self.progressed)

    def run(self) -> None:
        try:
            result = self.job(self.progress)
        except BaseException as exc:  # noqa: BLE001 - handed back to the GUI thread to show
            self.finished.emit(None, exc)
        else:
            self.finished.emit(result, None)


class Job(QObject):
    """Run `job(progress)` in a QThread; `done(result, error)` is called on the GUI thread."""

    def __init__(self, parent: QWidget, title: str, job: Callable[[Progress], Any],
                 done: Callable[[Any, BaseException | None], None]) -> None:
        super().__init__(parent)
        self.thread = QThread(self)
        self.runner = _Runner(job)
        self.runner.moveToThread(self.thread)
        self.dialog = QProgressDialog(title, "取消", 0, 0, parent)
        self.dialog.setWindowTitle(title)
        self.dialog.setMinimumDuration(300)
        self.dialog.canceled.connect(self.runner.progress.cancelled.set)
        self.runner.progressed.connect(self._on_progress)
        self.runner.finished.connect(self._on_finished)
        self.thread.started.connect(self.runner.run)
        self._done = done
        self.result: Any = None
        self.error: BaseException | None = None

    def start(self) -> Job:
        self.thread.start()
        return self

    def _on_progress(self, done: int, total: int, text: str) -> None:
        self.dialog.setMaximum(max(total, 0))
        self.dialog.setValue(done)
        if text:
            self.dialog.setLabelText(text)

    def _on_finished(self, result: Any, error: BaseException | None) -> None:
        self.result, self.error = result, error
        self.dialog.reset()
        self.dialog.close()
        self.thread.quit()
        self.thread.wait()
        self._done(result, error)

    def is_running(self) -> bool:
        return self.thread.isRunning()
