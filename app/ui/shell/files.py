"""Opening, creating and restoring files from the window: locks, damage and backups explained."""

from __future__ import annotations

import html
import shutil
from pathlib import Path

from PySide6.QtCore import QStandardPaths
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.models.store import backup, lock
from app.models.store.book import Book, open_book
from app.models.values.errors import AppError, FileError, LockedError
from app.ui.kit import dialogs
from app.ui.kit.ops import Cancelled, Op, Progress
from app.ui.kit.widgets import rich_label
from app.ui.shell.start import LoginDialog, NewBureauDialog

DEMO_HINT = "示例县账号：局长 juzhang、审核 shenhe、经办 jingban、审计 shenji，密码均为 demo1234"


def data_dir() -> Path:
    folder = Path(QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def demo_cache_dir() -> Path:
    """Where a demo built on this PC is kept for the next first run (a packaged program ships one instead)."""
    return Path(QStandardPaths.writableLocation(QStandardPaths.StandardLocation.CacheLocation)) / "示例县"


def demo_path(parent: QWidget | None = None) -> Path | None:
    """The demo county in the user's data folder: copied from the ready-made one (the packaged program's, or one
    built earlier on this PC) in under a second; built on first use only when there is none (with progress;
    取消 leaves no file). No backups are left anywhere (app/demo/build.py builds in a temporary folder)."""
    from app.demo import prebuilt

    path = data_dir() / "示例县.db"
    if path.exists():
        return path
    part = path.with_name("示例县（生成中）.db")
    caches = [prebuilt.shipped_dir(), demo_cache_dir()]

    def build(progress: Progress) -> Path:
        part.unlink(missing_ok=True)
        prebuilt.make(part, caches=caches, keep_in=demo_cache_dir())
        if progress.cancelled.is_set():
            part.unlink(missing_ok=True)
            raise Cancelled()
        part.replace(path)
        return path

    ready = any(prebuilt.usable(folder) is not None for folder in caches)
    title = "正在复制示例县数据库" if ready else "正在生成示例县数据库（首次约半分钟，以后不到 1 秒）"
    op = Op.task(parent, title, build).run_in_background()
    op.wait()  # nothing else to do before the file exists: the start window waits, painting, with 取消
    return op.result if op.error is None else None


def open_demo(parent: QWidget | None, *, read_only: bool = False) -> Book | None:
    from app.demo import prebuilt

    path = demo_path(parent)
    if path is None:
        return None
    hint = DEMO_HINT
    if not prebuilt.has_fixed_day(path):
        hint += (f"。注意：这个示例县是旧版本程序生成的，没有固定的演示日期，所见的预警和期限随电脑日期变化；"
                 f"关闭后删除 {path} 再打开示例县，即得到新的示例县")
    return open_path(parent, path, read_only=read_only, hint=hint)


PREFECTURE_HINT = ("示例地区账号：局长 juzhang、审核 shenhe、经办 jingban、审计 shenji，密码均为 demo1234；"
                   "五个县的报送包在同一文件夹的“报送包”中")


def prefecture_demo_path(parent: QWidget | None = None) -> Path | None:
    """The demo prefecture (its file, the five county files and their packages) in the user's data folder."""
    from app.demo import prefecture as demo

    folder = data_dir() / "示例地区"
    path = folder / "示例地区.db"
    if path.exists():
        return path
    part = data_dir() / "示例地区（生成中）"

    def build(progress: Progress) -> Path:
        shutil.rmtree(part, ignore_errors=True)
        demo.build(part)
        if progress.cancelled.is_set():
            shutil.rmtree(part, ignore_errors=True)
            raise Cancelled()
        shutil.rmtree(folder, ignore_errors=True)
        part.rename(folder)
        return path

    op = Op.task(parent, "正在生成示例地区（五个县，约半分钟）", build).run_in_background()
    op.wait()  # as for the demo county: the start window waits, painting, with 取消
    return op.result if op.error is None else None


def open_prefecture_demo(parent: QWidget | None, *, read_only: bool = False) -> Book | None:
    path = prefecture_demo_path(parent)
    return open_path(parent, path, read_only=read_only, hint=PREFECTURE_HINT) if path is not None else None


def login(parent: QWidget | None, book: Book, hint: str = "") -> Book | None:
    if LoginDialog(book, parent, hint).exec() != QDialog.DialogCode.Accepted:
        book.close(backup=False)
        return None
    return book


def open_path(parent: QWidget | None, path: Path, *, read_only: bool = False, hint: str = "",
              break_lock: dict[str, object] | None = None) -> Book | None:
    """Open with the lock and the quick checks (header, application_id, version); the full quick_check runs in
    the background once the window shows (MainWindow). Offer read-only or a backup where that helps, and
    for a lock nobody releases (another PC, an empty lock file) breaking it after a warning (audited)."""
    try:
        book = open_book(path, read_only=read_only, check="deferred", break_lock=break_lock)
    except LockedError as exc:
        if dialogs.confirm(parent, f"{exc}\n\n是否以只读方式打开？（选“否”可以强制解除锁定）"):
            return open_path(parent, path, read_only=True, hint=hint)
        if exc.holder and dialogs.confirm(
                parent, f"强制解除锁定：{lock.describe(exc.holder)}，已持续 {lock.age(path, exc.holder)}。\n\n"
                        "只有在确认对方已不在使用该文件时才能这样做（例如那台计算机已关机、程序已崩溃）："
                        "两个人同时写同一个文件会互相覆盖。解除记录会写入审计日志。\n\n确定强制解除并以可写方式打开？",
                title="强制解除锁定"):
            return open_path(parent, path, hint=hint, break_lock=exc.holder)
        return None
    except FileError as exc:
        good = newest_good_backup(path)
        if good is None:
            dialogs.error(parent, f"{exc}\n\n没有可用的备份。")
            return None
        if dialogs.confirm(parent, f"{exc}\n\n最新的完好备份：{good.name}\n是否以只读方式打开该备份查看？"):
            return open_path(parent, good, read_only=True, hint=hint)
        return None
    except AppError as exc:
        dialogs.error(parent, exc)
        return None
    if book.notice:
        dialogs.info(parent, book.notice)
    return login(parent, book, hint)


def newest_good_backup(path: Path) -> Path | None:
    for info in backup.list_backups(path):
        try:
            backup.check_backup(info.path)
        except AppError:
            continue
        return info.path
    return None


def create_new(parent: QWidget | None) -> Book | None:
    dialog = NewBureauDialog(parent)
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return None
    return dialog.book


def choose_and_open(parent: QWidget | None, *, read_only: bool) -> Book | None:
    title = "以只读方式打开" if read_only else "打开数据库"
    name, _ = QFileDialog.getOpenFileName(parent, title, "", "FundLedger 数据库 (*.db);;所有文件 (*)")
    if not name:
        return None
    return open_path(parent, Path(name), read_only=read_only)


class RestoreDialog(QDialog):
    """List the backups; looking at one opens it read-only; restoring needs a confirmation."""

    def __init__(self, parent: QWidget | None, book: Book) -> None:
        super().__init__(parent)
        self.book = book
        self.chosen: Path | None = None
        self.setWindowTitle("从备份恢复")
        self.resize(640, 420)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(f"{book.path.name} 的备份（最新在前）。先选中一份查看其内容（只读），确认后再恢复；"
                                "恢复前会先备份当前文件。"))
        self.list = QListWidget()
        for info in backup.list_backups(book.path):
            item = QListWidgetItem(f"{info.taken:%Y-%m-%d %H:%M:%S}　{info.reason}　{info.size // 1024} KB")
            item.setData(256, str(info.path))
            self.list.addItem(item)
        self.list.currentItemChanged.connect(self._show)
        layout.addWidget(self.list)
        self.summary = rich_label("")
        self.summary.setWordWrap(True)
        layout.addWidget(self.summary)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.restore_button = buttons.addButton("恢复所选备份", QDialogButtonBox.ButtonRole.AcceptRole)
        self.restore_button.setEnabled(False)
        buttons.accepted.connect(self._restore)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def _show(self, item: QListWidgetItem | None) -> None:
        self.restore_button.setEnabled(False)
        if item is None:
            return
        path = Path(item.data(256))
        try:
            summary = backup.summary(path)
        except AppError as exc:
            self.summary.setText(f"<span style='color:#b00020'>该备份不可用：{html.escape(str(exc))}</span>")
            return
        self.summary.setText(
            f"单位：{html.escape(str(summary['bureau']))}　数据库版本：{summary['version']}<br>"
            f"审计记录：{summary['audit_records']} 条，最后一次修改：{summary['last_change'] or '—'}"
        )
        self.restore_button.setEnabled(True)

    def _restore(self) -> None:
        item = self.list.currentItem()
        if item is None:
            return
        path = Path(item.data(256))
        if not dialogs.confirm(self, f"用备份 {path.name} 替换当前数据？\n当前文件会先自动备份。"):
            return
        def restored(_: Path) -> None:
            self.chosen = path
            self.accept()

        Op(self, self.book, "正在从备份恢复", lambda book, _: backup.restore(book, path), cancellable=False) \
            .success(restored).run_in_background()


def restore_dialog(parent: QWidget | None, book: Book) -> Book | None:
    """After a restore the file is reopened so that every tab shows the restored data."""
    dialog = RestoreDialog(parent, book)
    if dialog.exec() != QDialog.DialogCode.Accepted or dialog.chosen is None:
        return None
    user = book.user
    path = book.path
    book.close(backup=False)
    reopened = open_book(path)
    from app.models.store import users

    try:
        if user is not None:
            reopened.user = users.get(reopened, user.id)
    except AppError:
        reopened.user = None
    dialogs.info(parent, "已恢复。")
    return reopened if reopened.user else login(parent, reopened)
