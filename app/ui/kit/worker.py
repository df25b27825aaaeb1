"""Long work off the GUI thread, with a progress dialog that can cancel it.

`Job` runs `job(progress)` in a QThread and calls `done(result, error)` on the GUI thread. `run_job` is the
blocking form the tabs use for one operation (import, export, backup…): it shows the same progress dialog,
waits in a local event loop and returns the result, or None after showing the error or the cancellation.

Cancelling works two ways: a job that reports `progress.step(…)` stops at its next step; a job that writes
through a book's connection is interrupted at its next SQL statement (SQLite's progress handler), so its
transaction is rolled back and nothing is written. A job that can do neither shows no 取消 button.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QCoreApplication, QEventLoop, QObject, Qt, QThread, Signal
from PySide6.QtWidgets import QProgressDialog, QWidget

from app.models.values.errors import AppError


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

    def check(self) -> None:
        """Raise Cancelled if the user has cancelled (for jobs with steps but no counts)."""
        if self.cancelled.is_set():
            raise Cancelled()


class _Runner(QObject):
    progressed = Signal(int, int, str)
    finished = Signal(object, object)  # result, error

    def __init__(self, job: Callable[[Progress], Any], conn: sqlite3.Connection | None) -> None:
        super().__init__()
        self.job = job
        self.conn = conn
        self.progress = Progress(self.progressed)

    def run(self) -> None:
        if self.conn is not None:  # cancel interrupts the next SQL statement: the transaction rolls back
            self.conn.set_progress_handler(lambda: 1 if self.progress.cancelled.is_set() else 0, 2000)
        try:
            result = self.job(self.progress)
        except sqlite3.OperationalError as exc:
            self.finished.emit(None, Cancelled() if self.progress.cancelled.is_set() else exc)
        except BaseException as exc:  # noqa: BLE001 - handed back to the GUI thread to show
            self.finished.emit(None, exc)
        else:
            self.finished.emit(result, None)
        finally:
            if self.conn is not None:
                self.conn.set_progress_handler(None, 0)


class Job(QObject):
    """Run `job(progress)` in a QThread; `done(result, error)` is called on the GUI thread.

    `book`: the job writes through this book's connection, so cancelling interrupts it (see the module doc).
    `cancellable=False`: no 取消 button (the job can neither report steps nor be interrupted).
    `quiet=True`: no progress dialog at all (a tab loading its data in the background; the window stays usable).
    """

    started_jobs: list[Job] = []  # the last jobs started: tests read their title and cancellable
    auto_cancel = False  # tests: press 取消 as soon as the job starts

    def __init__(self, parent: QWidget | None, title: str, job: Callable[[Progress], Any],
                 done: Callable[[Any, BaseException | None], None], *, book: Any = None,
                 cancellable: bool = True, quiet: bool = False) -> None:
        super().__init__(parent)
        self.title = title
        self.cancellable = cancellable
        self.thread = QThread(self)
        conn = getattr(book, "conn", None)
        self.runner = _Runner(job, conn if isinstance(conn, sqlite3.Connection) else None)
        self.runner.moveToThread(self.thread)
        self.dialog: QProgressDialog | None = None
        if not quiet:
            self.dialog = QProgressDialog(title, "取消" if cancellable else "", 0, 0, parent)
            if not cancellable:
                self.dialog.setCancelButton(None)
            self.dialog.setWindowTitle(title)
            self.dialog.setWindowModality(Qt.WindowModality.WindowModal)
            self.dialog.setMinimumDuration(300)
            self.dialog.setAutoClose(False)
            self.dialog.setAutoReset(False)
            self.dialog.canceled.connect(self.cancel)
        self.runner.progressed.connect(self._on_progress)
        self.runner.finished.connect(self._on_finished)
        self.thread.started.connect(self.runner.run)
        self._done = done
        self.result: Any = None
        self.error: BaseException | None = None
        self.finished = False

    def start(self) -> Job:
        Job.started_jobs[:] = [*Job.started_jobs[-19:], self]  # the last 20 only: no jobs kept alive for ever
        if Job.auto_cancel and self.cancellable:
            self.cancel()  # tests: as if 取消 were pressed the moment the dialog appeared
        self.thread.start()
        return self

    def cancel(self) -> None:
        if self.cancellable:
            self.runner.progress.cancelled.set()
            if self.dialog is not None:
                self.dialog.setLabelText("正在取消……")

    def _on_progress(self, done: int, total: int, text: str) -> None:
        if self.dialog is None:
            return
        self.dialog.setMaximum(max(total, 0))
        self.dialog.setValue(done)
        if text:
            self.dialog.setLabelText(text)

    def _on_finished(self, result: Any, error: BaseException | None) -> None:
        self.result, self.error = result, error
        self.finished = True
        if self.dialog is not None:
            self.dialog.reset()
            self.dialog.close()
        self.thread.quit()
        self.thread.wait()
        self._done(result, error)

    def is_running(self) -> bool:
        return self.thread.isRunning()

    def wait(self) -> None:
        """Until `done` has been called: it is queued to the GUI thread, so this processes events meanwhile."""
        while not self.finished:
            QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)
            if not self.finished:
                time.sleep(0.002)


def run_job(parent: QWidget, title: str, job: Callable[[Progress], Any], *, book: Any = None,
            cancellable: bool = True, done: str | None = None) -> Any:
    """Run one long operation with the progress dialog and wait for it (the window keeps painting).

    Returns its result (True for None), or None after the error or 已取消 has been shown."""
    from app.ui.kit import dialogs

    loop = QEventLoop()
    outcome: dict[str, Any] = {}

    def finished(result: Any, error: BaseException | None) -> None:
        outcome["result"], outcome["error"] = result, error
        loop.quit()

    worker = Job(parent, title, job, finished, book=book, cancellable=cancellable).start()
    if not worker.finished:
        loop.exec()
    worker.deleteLater()
    error = outcome.get("error")
    if isinstance(error, Cancelled):
        dialogs.info(parent, str(error))
        return None
    if error is not None:
        dialogs.error(parent, error)
        return None
    if done:
        dialogs.info(parent, done)
    result = outcome.get("result")
    return True if result is None else result
