"""Each kind of name the Windows shell refuses (issue 21 item 3), at each place a user names a file.

test_filenames.py proves the rule on a list of names and one name per place; here the whole cross product:
a device name bare (CON) and with an extension (aux.xlsx), a trailing dot, and ':' — at an export's output
folder, a command's output file, a new database, an attachment, a save dialog, and the package folder named
from the bureau. The naive
version that checks only some places (say, only device names in the dialog) fails one of these cells. Each
refusal names its field and its reason, and leaves the folder empty.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

import pytest

from app.__main__ import main
from app.models.values.errors import ValidationError

# kind → (name with the extension `ext`, the reason the message must give)
KINDS: dict[str, tuple[Callable[[str], str], str]] = {
    "device": (lambda ext: "CON", "设备名"),
    "device-ext": (lambda ext: f"aux{ext}", "设备名"),
    "trailing-dot": (lambda ext: f"报表{ext}.", "句点"),
    "colon": (lambda ext: f"a:b{ext}", "不允许的字符 :"),
}


def cli_refuses(argv: list[str], field: str, reason: str, folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    try:
        code = main(argv)
    except SystemExit as exc:
        code = exc.code
    err = capsys.readouterr().err
    assert code == 2, err
    assert field in err and reason in err, err
    assert [p.name for p in folder.iterdir()] == [], "拒绝之前不应写出任何文件"


@pytest.mark.parametrize("kind", KINDS)
def test_export_folder_refused(kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                               capsys: pytest.CaptureFixture[str]) -> None:
    name, reason = KINDS[kind]
    monkeypatch.chdir(tmp_path)
    cli_refuses(["export", "x.db", "--month", "2026-01", "--out", name("")], "输出文件夹", reason, tmp_path, capsys)


@pytest.mark.parametrize("kind", KINDS)
def test_output_file_refused(kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                             capsys: pytest.CaptureFixture[str]) -> None:
    name, reason = KINDS[kind]
    monkeypatch.chdir(tmp_path)
    cli_refuses(["plan-template", name(".xlsx")], "输出文件", reason, tmp_path, capsys)
    cli_refuses(["payment-form", "x.db", "1", name(".pdf")], "输出文件", reason, tmp_path, capsys)


@pytest.mark.parametrize("kind", KINDS)
def test_new_database_refused(kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                              capsys: pytest.CaptureFixture[str]) -> None:
    name, reason = KINDS[kind]
    monkeypatch.chdir(tmp_path)
    cli_refuses(["demo", name(".db")], "数据库文件", reason, tmp_path, capsys)


@pytest.mark.parametrize("kind", KINDS)
def test_package_folder(kind: str) -> None:
    """The package folder and its files are named from the bureau's name and report.toml's [names] pattern.

    A bureau's name is not a file name the clerk typed: ':' and a trailing dot in it are made safe (a_b, 报表), a
    device name cannot be made safe and is refused by name and reason. A pattern (rules data) that itself yields a
    trailing dot or ':' is refused, never written.
    """
    from app.export import manifest
    from app.models.reports import definitions
    from app.models.values import filenames

    name, reason = KINDS[kind]
    defs = definitions.load()
    bare = dataclasses.replace(defs, names=dataclasses.replace(defs.names, folder="{bureau}"))

    class Package:
        bureau, month, year, month_number, version = name(""), "2026-01", 2026, 1, 1

    if kind.startswith("device"):
        with pytest.raises(ValidationError, match=reason) as info:
            manifest.file_names(Package(), bare)  # type: ignore[arg-type]
        assert "报送包文件夹或文件名" in str(info.value)
    else:
        for d in (bare, defs):
            made = manifest.file_names(Package(), d)  # type: ignore[arg-type]
            for part in made.values():
                assert ":" not in part and not part.endswith(".") and filenames.check(part, "x") == part
        assert manifest.file_names(Package(), bare)["folder"] == {"trailing-dot": "报表", "colon": "a_b"}[kind]
        pattern = {"trailing-dot": "{bureau}_{month}.", "colon": "{bureau}:{month}"}[kind]
        spoilt = dataclasses.replace(defs, names=dataclasses.replace(defs.names, folder=pattern))
        with pytest.raises(ValidationError, match=reason) as info:
            manifest.file_names(Package(), spoilt)  # type: ignore[arg-type]
        assert "报送包文件夹或文件名" in str(info.value)


@pytest.mark.parametrize("kind", KINDS)
def test_attachment_refused(kind: str, book) -> None:  # noqa: ANN001 - conftest fixture
    from app.models.store import attachments

    name, reason = KINDS[kind]
    with pytest.raises(ValidationError) as info:
        attachments.check(book, name(".pdf"), b"%PDF-1.4 ...", field="公示照片")
    assert info.value.field == "公示照片" and reason in str(info.value), str(info.value)


@pytest.mark.parametrize("kind", KINDS)
def test_save_dialog_refused(kind: str, tmp_path: Path) -> None:
    from app.ui.kit import dialogs

    name, reason = KINDS[kind]
    dialogs.Ask.answer = lambda _kind, _text: str(tmp_path / name(".xlsx"))
    try:
        with pytest.raises(ValidationError) as info:
            dialogs.choose_path(None, "save", "导出专账", "Excel 工作簿 (*.xlsx)")
    finally:
        dialogs.Ask.answer = None
    assert info.value.field == "导出专账" and reason in str(info.value), str(info.value)
    assert list(tmp_path.iterdir()) == []
