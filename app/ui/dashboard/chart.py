"""The spending-progress chart: one horizontal bar per fund kind, the time-elapsed pace as a line.

Drawn with QPainter (no QtCharts: one less module in the Windows bundle). Floats are used for pixels
only; every figure shown as text comes from the models as exact money and percentages.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

BEHIND = QColor("#d9534f")
ON_PACE = QColor("#4a90d9")
PACE = QColor("#e08e0b")
TRACK = QColor("#eceff3")


@dataclass(frozen=True)
class Bar:
    key: str  # fund kind code: what a click opens
    name: str
    share: float  # spent / base, for the bar's length only
    text: str  # "62.35%（已支出 1,234.00 / 可支出 2,000.00 元）"
    behind: bool


class ProgressChart(QWidget):
    """Bars for `set_data`; `pace` is the share of the year elapsed (0–1). Clicking a bar emits its key."""

    clicked = Signal(str)
    ROW = 30
    LABEL = 150

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bars: list[Bar] = []
        self.pace = 0.0
        self.pace_text = ""
        self.empty_text = "本年度尚无资金收支"
        self.setMouseTracking(True)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)

    def set_data(self, bars: list[Bar], pace: float, pace_text: str) -> None:
        self.bars, self.pace, self.pace_text = bars, max(0.0, min(pace, 1.0)), pace_text
        self.setToolTip("点击某一资金大类查看其预警和收支")
        self.updateGeometry()
        self.update()

    def sizeHint(self) -> QSize:
        return QSize(560, 36 + self.ROW * max(len(self.bars), 2))

    def minimumSizeHint(self) -> QSize:
        return QSize(320, 40 + self.ROW * max(len(self.bars), 1))

    def label_width(self) -> int:
        """Wide enough for the longest kind name, at most 40 % of the chart."""
        widest = max((self.fontMetrics().horizontalAdvance(b.name) for b in self.bars), default=self.LABEL)
        return int(min(widest + 16, self.width() * 0.4))

    def _track(self, row: int) -> QRectF:
        left, right = self.label_width(), self.width() - 12
        return QRectF(left, 26 + row * self.ROW, max(right - left, 10), self.ROW - 12)

    def bar_at(self, x: float, y: float) -> Bar | None:
        for i, bar in enumerate(self.bars):
            rect = self._track(i)
            if rect.top() - 4 <= y <= rect.bottom() + 4 and 0 <= x <= self.width():
                return bar
        return None

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        bar = self.bar_at(event.position().x(), event.position().y())
        if bar is not None and event.button() == Qt.MouseButton.LeftButton:
            self.clicked.emit(bar.key)
        super().mouseReleaseEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        bar = self.bar_at(event.position().x(), event.position().y())
        self.setCursor(Qt.CursorShape.PointingHandCursor if bar else Qt.CursorShape.ArrowCursor)
        super().mouseMoveEvent(event)

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        small = QFont(self.font())
        small.setPointSizeF(max(self.font().pointSizeF() - 1, 7))
        if not self.bars:
            p.setPen(self.palette().mid().color())
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, self.empty_text)
            return
        p.setFont(small)
        p.setPen(PACE)
        first = self._track(0)
        x = first.left() + first.width() * self.pace
        p.drawText(QRectF(first.left(), 2, first.width(), 20), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                   f"┆ 序时进度 {self.pace_text}")
        for i, bar in enumerate(self.bars):
            rect = self._track(i)
            p.setPen(self.palette().text().color())
            p.setFont(self.font())
            name = self.fontMetrics().elidedText(bar.name, Qt.TextElideMode.ElideLeft, int(rect.left()) - 12)
            p.drawText(QRectF(4, rect.top() - 4, rect.left() - 12, rect.height() + 8),
                       Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, name)
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(TRACK)
            p.drawRoundedRect(rect, 3, 3)
            done = QRectF(rect.left(), rect.top(), rect.width() * max(0.0, min(bar.share, 1.0)), rect.height())
            p.setBrush(BEHIND if bar.behind else ON_PACE)
            p.drawRoundedRect(done, 3, 3)
            p.setFont(small)
            p.setPen(QColor("#1f2933"))
            p.drawText(rect.adjusted(6, 0, -4, 0), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, bar.text)
        pen = QPen(PACE, 2, Qt.PenStyle.DashLine)
        p.setPen(pen)
        last = self._track(len(self.bars) - 1)
        p.drawLine(QPointF(x, first.top() - 4), QPointF(x, last.bottom() + 4))
