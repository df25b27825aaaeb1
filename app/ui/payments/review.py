"""审核通过 and 退回, for one request or several selected at once (#20 items 12 and 13).

审核通过 asks for confirmation in a dialog that lists what is being approved (number, project, payee, amount,
the total) and has a 审核意见 box; the opinion is kept with each request (`payments.review_opinion`) and printed
on the 支付审批单. A request whose checks give "原则上" warnings needs the reviewer's written confirmation: alone,
the dialog shows the warnings and the clerk's reason and will not close until the box is filled; in a batch such
a request is refused (it is confirmed on its own). Batch work runs request by request through the same model
operation (`requests.review_each` / `return_each`), each its own transaction, and the result lists per request
what was done and what was refused and why.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.models.payments import checks
from app.models.payments import requests as payments
from app.models.store.book import Book
from app.models.values import money
from app.ui.kit import dialogs, ops
from app.ui.plan.dialogs import Answerable


def warnings_of(book: Book, p: dict[str, Any]) -> list[checks.Outcome]:
    outcomes = checks.evaluate(book, checks.Draft.of(p))
    if any(o.outcome == "fail" for o in outcomes):
        return []
    return [o for o in outcomes if o.outcome == "warn"]


def _table(headers: list[str], rows: list[list[str]]) -> QTableWidget:
    table = QTableWidget(len(rows), len(headers))
    table.setHorizontalHeaderLabels(headers)
    table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
    table.verticalHeader().setVisible(False)
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            table.setItem(r, c, QTableWidgetItem(text))
    table.resizeColumnsToContents()
    table.horizontalHeader().setStretchLastSection(True)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    return table


class ReviewDialog(Answerable):
    """确认审核通过: the requests, their total, the warnings (one request only) and the 审核意见."""

    def __init__(self, parent: QWidget | None, book: Book, requests: list[dict[str, Any]]) -> None:
        super().__init__(parent)
        self.requests = requests
        many = len(requests) > 1
        self.warns = [] if many else warnings_of(book, requests[0])
        self.setWindowTitle(f"审核通过 — {len(requests)} 笔支付申请" if many else f"审核通过 — {requests[0]['request_no']}")
        self.resize(760, 460 if many else 400)
        layout = QVBoxLayout(self)
        total = sum(int(p["amount"]) for p in requests)
        layout.addWidget(QLabel(f"确认以下 {len(requests)} 笔支付申请审核通过？合计 {money.format(total)} 元"
                                f"（{money.daxie(total)}）。审核时将再次运行全部规则检查。"))
        layout.addWidget(_table(["申请编号", "项目", "收款人", "金额（元）", "状态"],
                                [[str(p["request_no"]), str(p["project_name"]), str(p["payee_display"] or ""),
                                  money.format(int(p["amount"])), str(p["status_name"])] for p in requests]))
        if self.warns:
            p = requests[0]
            text = ("以下“原则上”限制未满足，审核通过须在审核意见中写明确认理由：\n"
                    + "\n".join(f"· {o.message}" for o in self.warns)
                    + f"\n经办人的理由：{p['soft_reason'] or '（无）'}")
            warn = QLabel(text)
            warn.setWordWrap(True)
            warn.setStyleSheet("color: #8a5a00")
            layout.addWidget(warn)
        elif many:
            note = QLabel("批量审核逐笔办理，每笔单独成一次操作：某笔未通过（状态不符、本人经办、规则检查不通过、"
                          "有须单独确认的“原则上”提示）不影响其他各笔，办理后逐笔列出结果。")
            note.setWordWrap(True)
            layout.addWidget(note)
        layout.addWidget(QLabel("审核意见（必填）" if self.warns else "审核意见（可不填；填写后保存在申请中并打印在审批单上）"))
        self.opinion = QPlainTextEdit()
        self.opinion.setPlaceholderText("如：资料齐全，同意支付")
        self.opinion.setTabChangesFocus(True)
        self.opinion.setMaximumHeight(90)
        layout.addWidget(self.opinion)
        self.problem = QLabel("")
        self.problem.setStyleSheet("color: #b00020")
        layout.addWidget(self.problem)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        ok = buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setText("审核通过")
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("取消")
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def text(self) -> str:
        return self.opinion.toPlainText().strip()

    def ask(self) -> bool:
        """With a test's `dialogs.Ask` standing in for the user (and no `answer` hook of this class): a
        "confirm" question, then — when there are warnings — a "text" one for the 审核意见."""
        if type(self).answer is None and dialogs.Ask.answer is not None:
            if not dialogs.Ask.record("confirm", self.windowTitle()):
                return False
            if self.warns:
                got = dialogs.Ask.record("text", "须写明审核意见：" + "；".join(o.message for o in self.warns))
                if got is None:
                    return False
                self.opinion.setPlainText(str(got))
            return True
        return super().ask()

    def _accept(self) -> None:
        if self.warns and not self.text():
            self.problem.setText("审核意见：有“原则上”限制未满足，须写明确认理由后才能审核通过。")
            self.opinion.setFocus()
            return
        if len(self.text()) > 500:
            self.problem.setText(f"审核意见：不能超过 500 字（现有 {len(self.text())} 字）。")
            self.opinion.setFocus()
            return
        self.accept()


class BatchResultDialog(Answerable):
    """What a batch did, request by request: 已审核 / 已退回, or 未办理 with the reason."""

    def __init__(self, parent: QWidget | None, title: str, outcomes: list[payments.BatchOutcome]) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.resize(760, 380)
        layout = QVBoxLayout(self)
        done = sum(1 for o in outcomes if o.done)
        layout.addWidget(QLabel(f"共 {len(outcomes)} 笔：办理 {done} 笔，未办理 {len(outcomes) - done} 笔。"))
        self.table = _table(["申请编号", "结果", "说明"],
                            [[o.request_no, "已办理" if o.done else "未办理", o.message] for o in outcomes])
        for r, o in enumerate(outcomes):
            if not o.done:
                for c in range(3):
                    item = self.table.item(r, c)
                    if item is not None:
                        item.setBackground(QBrush(QColor("#fde2e1")))
        layout.addWidget(self.table)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.button(QDialogButtonBox.StandardButton.Close).setText("关闭")
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)


def _report(parent: QWidget, title: str, outcomes: list[payments.BatchOutcome]) -> None:
    if dialogs.Ask.answer is not None:  # tests read the same lines the dialog shows
        dialogs.Ask.record("info", "\n".join(f"{o.request_no}：{'已办理' if o.done else '未办理'}——{o.message}"
                                             for o in outcomes))
        return
    dialog = BatchResultDialog(parent, title, outcomes)
    dialog.ask()
    dialog.deleteLater()


def review_selected(parent: QWidget, book: Book, selected: list[dict[str, Any]]) -> list[int]:
    """审核通过 for the selected requests (one or several); returns the ids handled."""
    if not selected:
        return []
    dialog = ReviewDialog(parent, book, selected)
    accepted = dialog.ask()
    opinion = dialog.text()
    warned = bool(dialog.warns)
    dialog.deleteLater()
    if not accepted:
        return []
    if len(selected) == 1:
        p = selected[0]
        result = ops.run_op(parent, book, lambda: payments.review(
            book, payment_id=p["id"], override_note=opinion if warned else "", opinion=opinion))
        if isinstance(result, dict):
            if result["blocked"]:
                dialogs.error(parent, f"{p['request_no']} 审核时规则检查未通过，已退回：\n{result['payment']['return_reason']}")
            else:
                dialogs.info(parent, f"{p['request_no']} 审核通过，待国库支付后登记凭证号。")
        return [p["id"]]
    ids = [int(p["id"]) for p in selected]
    outcomes = ops.run_op(parent, book, lambda: payments.review_each(book, ids, opinion=opinion))
    if outcomes:
        _report(parent, "批量审核结果", outcomes)
    return ids


def return_selected(parent: QWidget, book: Book, selected: list[dict[str, Any]]) -> list[int]:
    """退回 the selected requests to their drafters with one reason."""
    if not selected:
        return []
    if len(selected) == 1:
        p = selected[0]
        asked = dialogs.ask_text(parent, "退回", f"退回 {p['request_no']} 给经办人的理由：")
        if asked is None:
            return []
        why: str = asked
        if ops.run_op(parent, book, lambda: payments.return_payment(book, payment_id=p["id"], reason=why)):
            return [p["id"]]
        return []
    numbers = "、".join(str(p["request_no"]) for p in selected[:6]) + ("等" if len(selected) > 6 else "")
    reason = dialogs.ask_text(parent, f"批量退回 {len(selected)} 笔",
                              f"退回 {numbers} 共 {len(selected)} 笔给经办人的理由（每笔记录同一理由）：")
    if reason is None:
        return []
    ids = [int(p["id"]) for p in selected]
    outcomes = ops.run_op(parent, book, lambda: payments.return_each(book, ids, reason=reason))
    if outcomes:
        _report(parent, "批量退回结果", outcomes)
    return ids
