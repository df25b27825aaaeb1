"""Names the Windows shell refuses, refused on every OS with a Chinese message naming the field.

The naive version (write whatever the user typed) on Windows turns `aux.xlsx` into the AUX device (the export
vanishes or hangs), `报表.` into `报表`, `a:b.xlsx` into an alternate data stream of `a`; on Linux it writes a
file the clerk's PC cannot open. Each case below is one such name, at each place a user names a file.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from app.models.values import filenames
from app.models.values.errors import ValidationError
from tests.windows.conftest import WINDOWS, decode, run_app, windows_code_page

ENCODING = windows_code_page() if WINDOWS else "gbk"

REFUSED = ["CON", "con", "aux.xlsx", "Nul.tar.gz", "COM1.pdf", "lpt9", "LPT¹.txt", "nul .txt", "CONIN$",
           "报表.", "报表 ", "月报...", "a:b.xlsx", 'x"y', "a<b", "a>b", "a|b", "问号?.pdf", "星*.pdf",
           "tab\there", "换行\n.pdf", "", "   ", ".", "..", "长" * 256]
ACCEPTED = ["示例县财政局_2026-01_v1", "CONTRACT.xlsx", "console.pdf", "auxiliary.xlsx", "COM10.txt",
            "a.b.c", " 前导空格.pdf", "核验报告.txt", "长" * 255, "AUX_2026年1月_扶贫资金监管月报.xlsx"]


@pytest.mark.parametrize("name", REFUSED)
def test_refused_with_field_named(name: str) -> None:
    with pytest.raises(ValidationError) as info:
        filenames.check(name, "导出文件名")
    assert str(info.value).startswith("导出文件名：") and info.value.field == "导出文件名"


@pytest.mark.parametrize("name", ACCEPTED)
def test_accepted(name: str) -> None:
    assert filenames.check(name, "导出文件名") == name


def test_path_checks_only_its_last_part() -> None:
    assert filenames.check_path(r"C:\报表 2026\月报.xlsx", "输出文件") == r"C:\报表 2026\月报.xlsx"
    assert filenames.check_path("C:\\", "输出文件夹") == "C:\\"
    with pytest.raises(ValidationError, match="设备名"):
        filenames.check_path(r"D:\导出\aux.xlsx", "输出文件")
    with pytest.raises(ValidationError, match="句点"):
        filenames.check_path("out/报表./", "输出文件夹")


def test_attachment_named_like_a_device_is_refused(book) -> None:  # noqa: ANN001 - conftest fixture
    from app.models.store import attachments

    with pytest.raises(ValidationError) as info:
        attachments.check(book, "aux.pdf", b"%PDF-1.4 ...", field="公示照片")
    assert info.value.field == "公示照片" and "设备名" in str(info.value)
    assert attachments.check(book, "公示 照片.pdf", b"%PDF-1.4 ...", field="公示照片")[0] == "公示 照片.pdf"


def test_package_names_are_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    """A report definition whose folder pattern yields a device name for some bureau is refused, not written."""
    import dataclasses

    from app.export import manifest
    from app.models.reports import definitions

    defs = definitions.load()
    bad = dataclasses.replace(defs, names=dataclasses.replace(defs.names, folder="{bureau}"))

    class Package:
        bureau, month, year, month_number, version = "CON", "2026-01", 2026, 1, 1

    with pytest.raises(ValidationError, match="报送包文件夹或文件名"):
        manifest.file_names(Package(), bad)  # type: ignore[arg-type]
    assert manifest.file_names(Package(), defs)["folder"].startswith("CON_")  # CON_2026-01_v1 is a fine name


@pytest.mark.parametrize(("args", "field"), [
    (["demo", "aux.db"], "数据库文件"),
    (["plan-template", "CON.xlsx"], "输出文件"),
    (["export", "x.db", "--month", "2026-01", "--out", "报送包."], "输出文件夹"),
    (["payment-form", "x.db", "1", "a:b.pdf"], "输出文件"),
])
def test_cli_refuses_before_writing(tmp_path: Path, args: list[str], field: str) -> None:
    p = run_app(args, cwd=tmp_path, encoding=ENCODING)
    err = decode(p.stderr, ENCODING)
    assert p.returncode == 2, err
    assert field in err and ("设备名" in err or "句点" in err or "不允许的字符" in err), err
    assert sorted(x.name for x in tmp_path.iterdir() if x.name != "appdata") == []


def test_every_save_dialog_refuses_a_device_name(tmp_path: Path) -> None:
    """kit.dialogs.choose_path is what every tab's 导出/保存 goes through; Qt's own dialog on Linux takes CON.xlsx."""
    from app.ui.kit import dialogs

    dialogs.Ask.answer = lambda kind, text: str(tmp_path / "aux.xlsx")
    try:
        with pytest.raises(ValidationError) as info:
            dialogs.choose_path(None, "save", "导出专账", "Excel 工作簿 (*.xlsx)")
        assert info.value.field == "导出专账"
        assert dialogs.choose_path(None, "open", "打开", "*.xlsx") == tmp_path / "aux.xlsx"  # reading is not naming
        dialogs.Ask.answer = lambda kind, text: str(tmp_path / "专账 2026.xlsx")
        assert dialogs.choose_path(None, "save", "导出专账", "*.xlsx") == tmp_path / "专账 2026.xlsx"
    finally:
        dialogs.Ask.answer = None


def test_new_database_and_goal_template_named_like_devices_are_refused(tmp_path: Path) -> None:
    """The two writers reached without kit.dialogs (开始 → 新建, 绩效目标模板): refused before any file exists."""
    from app.models.performance import goals_import
    from app.models.store import setup

    with pytest.raises(ValidationError) as info:
        setup.create(tmp_path / "nul.db", bureau_name="测试县财政局", region_code="659902", level="county",
                     chief_login="chief", chief_name="局长甲", chief_password="secret-pass-1")
    assert info.value.field == "数据库文件"
    with pytest.raises(ValidationError) as info:
        goals_import.write_template(tmp_path / "绩效目标模板.")
    assert info.value.field == "绩效目标模板文件"
    assert list(tmp_path.iterdir()) == []
