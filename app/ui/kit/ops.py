"""One way to run an operation from the window (after Anki's CollectionOp and QueryOp).

    Op(self, self.book, "正在导入项目计划", lambda book, progress: plan_import.import_file(book, path=path)) \\
        .success(lambda ids: self.reload(select_id=ids[0])).run_in_background()

- `run_in_background()` — a long operation: it runs in a worker thread on a connection of its own to the same
  file (`store.book.worker_book`; `writes=False` makes that connection read-only), with a window-modal progress
  dialog and 取消. The window keeps painting and its own connection stays free; SQLite makes a write wait for
  the other. Cancelling works two ways: an operation that reports `progress.step(…)` stops at its next step,
  and any SQL statement on the worker's connection is interrupted (SQLite's progress handler), so the
  operation's transaction is rolled back and nothing is written.
- `run_now()` — a short operation (a form's 保存): on the GUI thread, on the window's connection; returns the
  result, or None after the error was shown.

Either way an AppError is shown in Chinese through `dialogs.error` (anything else with 复制详情), 取消 as
“已取消，未写入任何数据。”, and what the operation wrote — read back from the audit log as `Changes`
(tables → row ids) — is announced on `hub.changed`; the main window hands it to every tab built so far, and
a tab reloads only when a table it shows was touched. `Op.task(…)` runs work that has no open file (making
the demo county) the same way. Nothing here knows about a particular tab or operation.
"""

from __future__ import annotations

import atexit
import sqlite3
import threading
import time
from collections.abc import Callable
from typing import Any, ClassVar, Generic, TypeVar

import shiboken6
from PySide6.QtCore import QCoreApplication, QEventLoop, QObject, Qt, QThread, Signal
from PySide6.QtWidgets import QProgressDialog, QWidget

from app.models.store import changes as changes_mod
from app.models.store.book import Book, worker_book
from app.models.store.changes import Changes
from app.models.values.errors import AppError
from app.ui.kit import dialogs
from app.ui.kit.table_models import LazyTableModel, RowSource, first_page, next_page

T = TypeVar("T")


class Cancelled(AppError):
    def __init__(self) -> None:
        super().__init__("已取消，未写入任何数据。")


class Progress:
    """Handed to the operation: `step(done, total, text)` reports, and raises Cancelled once the user cancels."""

    def __init__(self, report: Callable[[int, int, str], None] | None = None) -> None:
        self._report = report
        self.cancelled = threading.Event()

    def step(self, done: int, total: int, text: str = "") -> None:
        if self.cancelled.is_set():
            raise Cancelled()
        if self._report is not None:
            self._report(done, total, text)

    def check(self) -> None:
        """Raise Cancelled if the user has cancelled (for operations with steps but no counts)."""
        if self.cancelled.is_set():
            raise Cancelled()


class _Hub(QObject):
    changed = Signal(object, object)  # Changes, the widget that ran the operation (or None)


hub = _Hub()


class _Runner(QObject):
    """Lives in the worker thread; runs the operation there and hands the outcome back."""

    progressed = Signal(int, int, str)
    finished = Signal(object, object)  # result, error

    def __init__(self, call: Callable[[Progress], Any], progress: Progress) -> None:
        super().__init__()
        self.call = call
        self.progress = progress
        progress._report = self.progressed.emit

    def run(self) -> None:
        try:
            result = self.call(self.progress)
        except BaseException as exc:  # noqa: BLE001 - handed back to the GUI thread to show
            if self.progress.cancelled.is_set() and isinstance(exc, (sqlite3.Error, AppError)):
                exc = Cancelled()  # the interrupted statement, or what the operation made of it
            self.finished.emit(None, exc)
        else:
            self.finished.emit(result, None)


class Op(QObject, Generic[T]):
    """One operation started from the window; see the module doc."""

    started: ClassVar[list[Op[Any]]] = []  # the last operations started: tests read title, cancellable, dialog
    running: ClassVar[set[Op[Any]]] = set()  # kept alive until finished, even if the widget that began it goes
    auto_cancel: ClassVar[bool] = False  # tests: press 取消 the moment an operation starts

    def __init__(self, parent: QWidget | None, book: Book | None, title: str,
                 work: Callable[[Book, Progress], T] | None = None, *, writes: bool = True,
                 cancellable: bool = True, quiet: bool = False) -> None:
        super().__init__(None)  # not owned by the widget: an operation outlives a tab closed meanwhile
        self.parent_widget = parent
        self.book = book
        self.title = title
        self.writes = writes
        self.cancellable = cancellable
        self.quiet = quiet
        self._work = work
        self._plain: Callable[[Progress], T] | None = None
        self._success: list[Callable[[T], object]] = []
        self._failure: Callable[[BaseException], object] | None = None
        self._after: list[Callable[[], object]] = []
        self._done_text: str | None = None
        self.progress = Progress()
        self.dialog: QProgressDialog | None = None
        self.worker_thread: QThread | None = None
        self.runner: _Runner | None = None
        self.result: T | None = None
        self.error: BaseException | None = None
        self.changes: Changes = changes_mod.NONE
        self.finished = False
        self._mark = 0

    @classmethod
    def task(cls, parent: QWidget | None, title: str, work: Callable[[Progress], T], *,
             cancellable: bool = True) -> Op[T]:
        """Work with no open file (the demo county being built): the same dialog, 取消 and error display."""
        op: Op[T] = cls(parent, None, title, None, writes=False, cancellable=cancellable)
        op._plain = work
        return op

    # -- what happens after ------------------------------------------------------------------------
    def success(self, fn: Callable[[T], object]) -> Op[T]:
        """Called on the GUI thread with the result (None from the operation is passed as it is)."""
        self._success.append(fn)
        return self

    def failure(self, fn: Callable[[BaseException], object]) -> Op[T]:
        """Replaces the default (the Chinese message; 已取消 as a notice)."""
        self._failure = fn
        return self

    def after(self, fn: Callable[[], object]) -> Op[T]:
        """Called in every case, before success or failure (e.g. to re-enable buttons)."""
        self._after.append(fn)
        return self

    def done_text(self, text: str) -> Op[T]:
        """A notice shown after success."""
        self._done_text = text
        return self

    # -- running --------------------------------------------------------------------------------
    def _begin(self) -> None:
        Op.started[:] = [*Op.started[-19:], self]  # the last 20 only
        if self.book is not None and not self.book.closed and self.writes:  # a read announces nothing (_finish)
            self._mark = changes_mod.mark(self.book.conn)

    def run_now(self) -> T | None:
        """A short operation on the GUI thread and the window's connection; the result, or None after an error."""
        self._begin()
        try:
            if self.book is not None and self._work is not None:
                result = self._work(self.book, self.progress)
            else:
                assert self._plain is not None
                result = self._plain(self.progress)
        except AppError as exc:
            self._finish(None, exc)
            return None
        self._finish(result, None)
        return result

    def run_in_background(self) -> Op[T]:
        """A long operation in a worker thread on a connection of its own (see the module doc)."""
        self._begin()
        self.worker_thread = QThread()
        self.runner = _Runner(self._call_in_worker, self.progress)
        self.runner.moveToThread(self.worker_thread)
        self.runner.progressed.connect(self._on_progress)
        self.runner.finished.connect(self._on_finished)  # queued: delivered on the GUI thread
        self.worker_thread.started.connect(self.runner.run)
        if not self.quiet:
            parent = self.parent_widget if self._alive(self.parent_widget) else None
            self.dialog = QProgressDialog(self.title, "取消" if self.cancellable else "", 0, 0, parent)
            if not self.cancellable:
                self.dialog.setCancelButton(None)
            self.dialog.setWindowTitle(self.title)
            self.dialog.setWindowModality(Qt.WindowModality.WindowModal)
            self.dialog.setMinimumDuration(300)
            self.dialog.setAutoClose(False)
            self.dialog.setAutoReset(False)
            self.dialog.canceled.connect(self.cancel)
        Op.running.add(self)
        if Op.auto_cancel and self.cancellable:
            self.cancel()  # tests: as if 取消 were pressed the moment the dialog appeared
        self.worker_thread.start()
        return self

    def _call_in_worker(self, progress: Progress) -> T:
        if self._plain is not None:
            return self._plain(progress)
        assert self.book is not None and self._work is not None
        with worker_book(self.book, read_only=not self.writes) as own:
            if self.cancellable:  # 取消 interrupts the next SQL statement: its transaction rolls back
                own.conn.set_progress_handler(lambda: 1 if progress.cancelled.is_set() else 0, 2000)
            return self._work(own, progress)

    def cancel(self) -> None:
        if self.cancellable and not self.finished:
            self.progress.cancelled.set()
            if self.dialog is not None:
                self.dialog.setLabelText("正在取消……")

    def _on_progress(self, done: int, total: int, text: str) -> None:
        if self.dialog is None or not shiboken6.isValid(self.dialog):
            return
        self.dialog.setMaximum(max(total, 0))
        self.dialog.setValue(done)
        if text:
            self.dialog.setLabelText(text)

    def _on_finished(self, result: Any, error: BaseException | None) -> None:
        if self.dialog is not None and shiboken6.isValid(self.dialog):
            self.dialog.reset()
            self.dialog.close()
            self.dialog.deleteLater()
        if self.worker_thread is not None:
            self.worker_thread.quit()
            self.worker_thread.wait()
        Op.running.discard(self)
        self._finish(result, error)

    @staticmethod
    def _alive(widget: QWidget | None) -> bool:
        return widget is not None and shiboken6.isValid(widget)

    def _finish(self, result: Any, error: BaseException | None) -> None:
        self.result, self.error = result, error
        self.finished = True
        book = self.book
        if book is not None and not book.closed and self.writes:
            try:
                self.changes = changes_mod.since(book.conn, self._mark)
            except sqlite3.Error:
                self.changes = changes_mod.NONE  # a file gone meanwhile: its error is what is shown
        if book is not None and book.closed:
            return  # the file was closed meanwhile (the window closed, another file opened): nobody to tell
        parent = self.parent_widget if self._alive(self.parent_widget) else None
        if self.changes:
            hub.changed.emit(self.changes, parent)
        if self.parent_widget is not None and parent is None:
            return  # the widget that began it has gone: nobody to tell
        for then in self._after:
            then()
        if error is not None:
            if self._failure is not None:
                self._failure(error)
            elif isinstance(error, Cancelled):
                dialogs.info(parent, str(error))
            else:
                dialogs.error(parent, error)
            return
        if self._done_text:
            dialogs.info(parent, self._done_text)
        for fn in self._success:
            fn(result)

    # -- waiting (tests, and the end of the program) ------------------------------------------------
    def is_running(self) -> bool:
        return not self.finished

    def wait(self, timeout: float = 600.0) -> bool:
        """Until finished (callbacks run): they are queued to the GUI thread, so events are processed meanwhile."""
        end = time.monotonic() + timeout
        while not self.finished and time.monotonic() < end:
            QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)
            if not self.finished:
                time.sleep(0.002)
        return self.finished


def idle() -> bool:
    """No operation is running (tests wait for this)."""
    return not Op.running


def run_op(parent: QWidget | None, book: Book, fn: Callable[[], Any], *, done: str | None = None) -> Any:
    """A one-line form operation through `Op(...).run_now()`: the result (True when it returns None), or None
    after its AppError was shown. What it wrote is announced like any other operation's."""
    op: Op[Any] = Op(parent, book, "", lambda _book, _progress: fn(), cancellable=False)
    if done:
        op.done_text(done)
    result = op.run_now()
    if op.error is not None:
        return None
    return True if result is None else result


class Query:
    """A read that grows with the data (a filter over 1.7 million audit records) run off the GUI thread.

    `Query(widget, book).reload(model, make_source, then)`: the count and first page are read in a worker
    thread on a read-only connection of its own (`make_source(own_book)`); the model then shows them with a
    source over the window's book (`make_source(book)`) for the later pages. A newer request cancels the one
    still running (its SQL is interrupted) and an older result never replaces a newer one (nor rows the model
    re-read meanwhile on the GUI thread, e.g. after a sort). No dialog: the table keeps its rows until the new
    ones arrive."""

    def __init__(self, parent: QWidget | None, book: Book) -> None:
        self.parent, self.book = parent, book
        self.current: Op[Any] | None = None
        self.found_at: int | None = None  # where `reload(reach=…)` found the row among the rows read (`then` selects it)

    def busy(self) -> bool:
        return self.current is not None and self.current.is_running()

    def reload(self, model: LazyTableModel, make_source: Callable[[Book], RowSource],
               then: Callable[[], object] | None = None,
               also: tuple[Callable[[Book], Any], Callable[[Any], object]] | None = None,
               reach: tuple[str, Any] | None = None,
               widen: tuple[Callable[[Book], RowSource], Callable[[], object]] | None = None) -> Op[Any]:
        """`also`: (read, show) — a further read done in the same worker (the status counts beside a table),
        its result handed to `show` on the GUI thread just before the rows are shown.

        `reach`: (key, value) — the row to be selected (one just saved, an object opened from elsewhere): the worker
        reads on past the first page until that row is among the rows read (the model is then given all of them, so
        `then` selects it with no read on the GUI thread; `found_at` says where); a source with `position(id, sort_key,
        descending)` (the models layer numbers the row in its filter and order) is read once, to the end of the row's
        page. The value may be a function `(source, sort_key, descending) -> value or None`, called in the worker (the
        models layer finds the row there: e.g. the first request of a kind in the order shown). If it is not
        listed, the model gets the first page only. `widen`: (make_source, reset) —
        when the row is not under `make_source` but is under this wider source (the filter cleared), that one is
        shown, and `reset()` is called on the GUI thread first (to clear the filter boxes)."""
        if self.current is not None and self.current.is_running():
            self.current.cancel()
        self.found_at = None
        sort_key, descending, limit = model.sort_key, model.descending, model.BATCH
        generation = model.generation  # reloaded meanwhile on the GUI thread (a sort): this result is older

        Found = tuple[tuple[int, list[dict[str, Any]]], int | None]  # (count, rows), where the row is among them

        def pages(source: RowSource) -> Found:
            total, rows = first_page(source, sort_key, descending, limit)
            if reach is None:
                return (total, rows), None
            key, value = reach
            if callable(value):  # which row: asked of the models layer here, in the worker
                value = value(source, sort_key, descending)
                if value is None:
                    return (total, rows), None
            position = getattr(source, "position", None)
            if key == "id" and callable(position):  # the models layer numbers the row: one read of the pages to it
                at = position(value, sort_key, descending)
                if at is None:
                    return (total, rows), None
                end = (at // limit + 1) * limit  # whole pages up to the row's: paging goes on
                more = source.fetch(len(rows), end - len(rows), sort_key, descending) if end > len(rows) else []
                return (total, (rows + more)[:end]), at
            wanted = str(value)
            end = next((n for n, r in enumerate(rows) if str(r.get(key)) == wanted), None)
            read = list(rows)
            while end is None and len(read) < total:
                batch = source.fetch(len(read), max(limit, len(read)), sort_key, descending)  # doubling: few reads
                if not batch:
                    break
                start = len(read)
                read.extend(batch)
                end = next((start + n for n, r in enumerate(batch) if str(r.get(key)) == wanted), None)
            if end is None:
                return (total, rows), None
            return (total, read[:(end // limit + 1) * limit]), end  # whole pages up to the row's: paging goes on

        def work(own: Book, _progress: Progress) -> tuple[Found, bool, Any]:
            found = pages(make_source(own))
            wide = False
            if found[1] is None and reach is not None and widen is not None:
                wider = pages(widen[0](own))
                if wider[1] is not None:
                    found, wide = wider, True
            return found, wide, (also[0](own) if also else None)

        op: Op[Any] = Op(self.parent, self.book, "正在筛选", work, writes=False, quiet=True)
        self.current = op

        def shown(result: tuple[Found, bool, Any]) -> None:
            (rows, at), wide, extra = result
            if op is not self.current or self.book.closed:
                return
            if also is not None:
                also[1](extra)
            if model.generation == generation:
                source = make_source
                if wide and widen is not None:
                    widen[1]()
                    source = widen[0]
                model.load(source(self.book), *rows)
                self.page(model, source)  # its later pages: off the GUI thread too, under the filter shown
                self.found_at = at
                if then is not None:
                    then()

        return op.success(shown).failure(lambda error: self._failed(op, error)).run_in_background()

    def page(self, model: LazyTableModel, make_source: Callable[[Book], RowSource]) -> None:
        """The view's next pages of `model` (scrolling down) are read off the GUI thread too, from `make_source(own)`
        — the rows shown now (`reload` sets this for every model whose rows it shows). Each page is read in a worker
        (sought from the last row read where the source can: `table_models.next_page`) and added when it arrives,
        unless the rows were reset meanwhile (a filter, a sort: `LazyTableModel.generation`); a page being read is
        not cancelled by a newer filter (it is only not shown)."""
        def more(start: int) -> None:
            generation, sort_key, descending, limit = model.generation, model.sort_key, model.descending, model.BATCH
            last = model.rows[start - 1] if 0 < start <= len(model.rows) else None
            op: Op[Any] = Op(self.parent, self.book, "正在读取",
                             lambda own, _progress: next_page(make_source(own), start, last, limit, sort_key,
                                                              descending),
                             writes=False, quiet=True)

            def failed(error: BaseException) -> None:
                if model.generation == generation:
                    model.fetching = False
                if not isinstance(error, Cancelled):
                    dialogs.error(self.parent if Op._alive(self.parent) else None, error)

            op.success(lambda batch: model.append(start, batch, generation)).failure(failed).run_in_background()

        model.more = more

    def read(self, work: Callable[[Book], Any], show: Callable[[Any], object]) -> Op[Any]:
        """A read that is not a table's pages (rows computed whole, with a title): `work(own_book)` in a worker,
        its result handed to `show` on the GUI thread, as for `reload`: a newer request (or `drop`) wins."""
        if self.current is not None and self.current.is_running():
            self.current.cancel()
        op: Op[Any] = Op(self.parent, self.book, "正在读取", lambda own, _progress: work(own), writes=False,
                         quiet=True)
        self.current = op

        def shown(result: Any) -> None:
            if op is self.current and not self.book.closed:
                show(result)

        return op.success(shown).failure(lambda error: self._failed(op, error)).run_in_background()

    def drop(self) -> None:
        """What the running request reads is no longer wanted (it was read meanwhile on the GUI thread): it is
        cancelled and its result not shown."""
        if self.current is not None and self.current.is_running():
            self.current.cancel()
        self.current = None

    def _failed(self, op: Op[Any], error: BaseException) -> None:
        if op is self.current and not isinstance(error, Cancelled):
            dialogs.error(self.parent if Op._alive(self.parent) else None, error)

    def follow(self, model: LazyTableModel, make_source: Callable[[], Callable[[Book], RowSource]],
               then: Callable[[], object] | None = None,
               also: Callable[[], tuple[Callable[[Book], Any], Callable[[Any], object]] | None] | None = None
               ) -> None:
        """A sort of `model` (a header click, a remembered sort restored) re-reads its first page through this
        query, off the GUI thread, with the source `make_source()` gives then (the filter as it is then);
        `also()`, if given, says then what further read goes with it (see `reload`; e.g. counts a sort replaced
        before they arrived)."""
        model.resort = lambda: self.reload(model, make_source(), then, also() if also is not None else None)

    def wait(self, timeout: float = 60.0) -> bool:
        """Tests: until the newest request has been shown (and any request its showing made, e.g. 提交 after 保存)."""
        end = time.monotonic() + timeout
        while self.current is not None and self.current.is_running():
            if not self.current.wait(max(0.0, end - time.monotonic())):
                return False
        return True


def settle(book: Book) -> None:
    """Before `book` is closed: its running operations are cancelled (a write rolls back) and waited for;
    one that cannot be cancelled (a backup, a restore) is waited for."""
    for op in [op for op in Op.running if op.book is book]:
        op.cancel()
        op.wait()


@atexit.register
def _wait_for_running() -> None:
    """An operation still running when the program ends is cancelled and waited for (its write rolls back)."""
    for op in list(Op.running):
        op.progress.cancelled.set()
        if op.worker_thread is not None:
            op.worker_thread.quit()
            op.worker_thread.wait(10000)
