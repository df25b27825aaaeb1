"""查看附件: a 指标扫描件 or a notice's photo shown inside the program — images in a zoomable view, PDFs through
QtPdf (QPdfView) — without writing it to a temporary file or starting another program.

What is shown is decided by the file's content (its first bytes), not its name. A file that cannot be shown
(damaged, an image too large to decode safely, another type) gets a Chinese message in the dialog, and
另存为… still saves the stored bytes."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
from PySide6.QtGui import QImage, QImageReader, QPixmap
from PySide6.QtPdfWidgets import QPdfView
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from app.models.store import attachments
from app.models.values import filenames
from app.models.values.errors import AppError, ValidationError
from app.ui.kit import dialogs
from app.ui.kit.pdf_print import PdfSource

MAX_PIXELS = 12_000 * 12_000  # a "photo" that decodes to more is refused (a few bytes can claim gigapixels)


def kind_of(data: bytes) -> str:
    if data.startswith(b"%PDF"):
        return "pdf"
    if data.startswith(b"\x89PNG\r\n\x1a\n") or data.startswith(b"\xff\xd8\xff"):
        return "image"
    return "other"


def decode_image(data: bytes) -> QImage:
    """The image, or an AppError saying why not: its declared size is read first and refused when too large."""
    buffer = QBuffer()
    buffer.setData(QByteArray(data))
    buffer.open(QIODevice.OpenModeFlag.ReadOnly)
    reader = QImageReader(buffer)
    size = reader.size()
    if size.isValid() and size.width() * size.height() > MAX_PIXELS:
        raise AppError(f"图片尺寸为 {size.width()}×{size.height()}，过大，不在程序中显示（可另存后用看图软件打开）",
                       field="附件")
    image = reader.read()
    if image.isNull():
        raise AppError(f"图片无法显示：{reader.errorString() or '文件可能已损坏'}", field="附件")
    return image


def _actual_size(view: QPdfView) -> None:
    view.setZoomMode(QPdfView.ZoomMode.Custom)
    view.setZoomFactor(1.0)


class AttachmentViewer(QDialog):
    def __init__(self, parent: QWidget | None, name: str, data: bytes) -> None:
        super().__init__(parent)
        self.name, self.data = name, data
        self.setWindowTitle(f"查看附件 — {name}")
        self.resize(900, 760)
        layout = QVBoxLayout(self)
        self.kind = kind_of(data)
        self.problem = ""
        self.pdf: PdfSource | None = None
        self.image: QImage | None = None
        self.view: QWidget
        tools = QHBoxLayout()
        self.fit_button = QPushButton("适应窗口")
        self.actual_button = QPushButton("实际大小")
        tools.addWidget(self.fit_button)
        tools.addWidget(self.actual_button)
        tools.addStretch(1)
        self.info = QLabel("")
        tools.addWidget(self.info)
        layout.addLayout(tools)
        try:
            if self.kind == "pdf":
                self.pdf = PdfSource(data, self)
                view = QPdfView(self)
                view.setDocument(self.pdf.document)
                view.setPageMode(QPdfView.PageMode.MultiPage)
                view.setZoomMode(QPdfView.ZoomMode.FitToWidth)
                self.fit_button.clicked.connect(lambda: view.setZoomMode(QPdfView.ZoomMode.FitToWidth))
                self.actual_button.clicked.connect(lambda: _actual_size(view))
                self.info.setText(f"PDF，共 {self.pdf.page_count()} 页")
                self.view = view
            elif self.kind == "image":
                self.image = decode_image(data)
                self.picture = QLabel()
                self.picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
                scroll = QScrollArea()
                scroll.setWidget(self.picture)
                scroll.setAlignment(Qt.AlignmentFlag.AlignCenter)
                self.scroller = scroll
                self.fitted = True
                self.fit_button.clicked.connect(lambda: self._show_image(fit=True))
                self.actual_button.clicked.connect(lambda: self._show_image(fit=False))
                self.info.setText(f"图片 {self.image.width()}×{self.image.height()}")
                self.view = scroll
            else:
                raise AppError("只能在程序中查看 PDF、JPG、PNG 文件；这个附件可另存后用其他程序打开", field="附件")
        except AppError as err:
            self.problem = str(err)
            label = QLabel(self.problem)
            label.setWordWrap(True)
            label.setAlignment(Qt.AlignmentFlag.AlignCenter)
            self.view = label
            self.fit_button.setEnabled(False)
            self.actual_button.setEnabled(False)
        layout.addWidget(self.view, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.button(QDialogButtonBox.StandardButton.Close).setText("关闭")
        save = buttons.addButton("另存为…", QDialogButtonBox.ButtonRole.ActionRole)
        save.clicked.connect(self.save_as)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        if self.image is not None:
            self._show_image(fit=True)

    def _show_image(self, *, fit: bool) -> None:
        assert self.image is not None
        self.fitted = fit
        pixmap = QPixmap.fromImage(self.image)
        if fit:
            area = self.scroller.viewport().size()
            pixmap = pixmap.scaled(max(area.width() - 4, 100), max(area.height() - 4, 100),
                                   Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation)
        self.picture.setPixmap(pixmap)
        self.picture.resize(pixmap.size())

    def resizeEvent(self, event: Any) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        if self.image is not None and self.fitted:
            self._show_image(fit=True)

    def save_as(self) -> None:
        try:
            path = dialogs.choose_path(self, "save", "附件另存为", "所有文件 (*)", self.name, asked_as="save_file")
            if path is None:
                return
            filenames.check_path(path, "另存为")
            path.write_bytes(self.data)
        except (ValidationError, OSError) as err:
            dialogs.error(self, err if isinstance(err, AppError) else f"无法保存：{err}")


class Viewers:
    """Viewers opened while a test stands in for the user (shown, not run modally)."""

    opened: list[AttachmentViewer] = []


def show_attachment(parent: QWidget | None, book: Any, attachment_id: int) -> AttachmentViewer:
    file = attachments.get(book, int(attachment_id))
    data = file["data"]
    assert isinstance(data, bytes)
    viewer = AttachmentViewer(parent, str(file["name"]), data)
    if dialogs.Ask.answer is not None:
        Viewers.opened.append(viewer)
        viewer.show()
    else:
        viewer.exec()
        viewer.deleteLater()
    return viewer
