"""The package folder and manifest.json: names, hashes, deterministic bytes, all-or-nothing writing."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import time
from pathlib import Path

import pytest

from app.export.manifest import file_names, manifest_bytes, safe_name, write_package
from app.export.template import TemplateSpec
from app.models.reports.package_data import PackageData
from app.models.values.errors import AppError
from tests.export.test_template import make_table5_template
from tests.models.reports import sample

XLSX = "示例县财政局_2026年10月_扶贫资金监管月报.xlsx"
PDF = "示例县财政局_2026年10月_扶贫资金监管月报.pdf"


def test_package_folder_files_and_manifest(package: PackageData, tmp_path: Path) -> None:
    result = write_package(package, tmp_path)
    assert result.folder == tmp_path / "示例县财政局_2026-10_v1"
    assert sorted(p.name for p in result.folder.iterdir()) == sorted([XLSX, PDF, "manifest.json"])
    assert result.paths == {"workbook": result.folder / XLSX, "pdf": result.folder / PDF,
                            "manifest": result.folder / "manifest.json"}  # fmt: skip
    for name, digest in result.hashes.items():
        assert hashlib.sha256((result.folder / name).read_bytes()).hexdigest() == digest
    raw = (result.folder / "manifest.json").read_bytes()
    doc = json.loads(raw)
    assert raw.endswith(b"}\n") and "示例县财政局".encode() in raw  # UTF-8 as is, not \u escapes
    assert (doc["bureau"], doc["month"], doc["version"]) == ("示例县财政局", "2026-10", 1)
    assert doc["signoff"] == {"chief": "艾力·买买提", "reviewer": "王建华", "preparer": "李娜",
                              "comment": "同意报送", "signed_at": "2026-11-20T10:30:00"}  # fmt: skip
    assert doc["audit_head"] == {"seq": 4821, "hash": "9f2c" * 16}
    assert doc["period"] == {"start": "2026-10-01", "end": "2026-10-31"}
    assert [f["name"] for f in doc["files"]] == [PDF, XLSX]
    assert {f["name"]: f["sha256"] for f in doc["files"]} == {n: h for n, h in result.hashes.items() if n != "manifest.json"}
    assert list(doc) == sorted(doc)  # sorted keys
    assert not list(tmp_path.glob(".*tmp"))  # no staging folder left behind


def test_recreated_package_is_byte_identical(package: PackageData, tmp_path: Path) -> None:
    first = write_package(package, tmp_path / "signed")
    time.sleep(1.1)
    again = write_package(package, tmp_path / "auditor")
    assert first.hashes == again.hashes
    for name in first.hashes:
        assert (first.folder / name).read_bytes() == (again.folder / name).read_bytes()


def test_an_existing_version_is_not_overwritten(package: PackageData, tmp_path: Path) -> None:
    result = write_package(package, tmp_path)
    before = (result.folder / XLSX).read_bytes()
    with pytest.raises(AppError, match="报送包文件夹已存在"):
        write_package(dataclasses.replace(package, bureau_level="county", audit_head=(1, "x")), tmp_path)
    assert (result.folder / XLSX).read_bytes() == before
    replaced = write_package(dataclasses.replace(package, audit_head=(1, "x" * 64)), tmp_path, overwrite=True)
    assert json.loads((replaced.folder / "manifest.json").read_text("utf-8"))["audit_head"]["seq"] == 1


def test_corrected_version_gets_its_own_folder(package: PackageData, tmp_path: Path) -> None:
    v1 = write_package(package, tmp_path)
    v2 = write_package(dataclasses.replace(package, version=2), tmp_path)
    assert v2.folder.name == "示例县财政局_2026-10_v2" and v1.folder.exists()
    assert v1.hashes[XLSX] != v2.hashes[XLSX]


def test_file_names_are_safe_on_windows(package: PackageData) -> None:
    assert safe_name('A/B:县 "局" ') == "A_B_县 _局_" and safe_name("...") == "_"
    names = file_names(dataclasses.replace(package, bureau="某县/财政局"))
    assert names["folder"] == "某县_财政局_2026-10_v1" and names["workbook"] == "某县_财政局_2026年10月_扶贫资金监管月报.xlsx"


def test_preview_manifest_and_template_hash(package: PackageData, tmp_path: Path) -> None:
    preview = sample.make_package(signed=False)
    doc = json.loads(manifest_bytes(preview, {"a.xlsx": b"x"}))
    assert doc["signoff"]["signed_at"] is None and doc["document_time"] == "2026-10-31T00:00:00+08:00"
    template = make_table5_template(tmp_path / "t5.xlsx")
    result = write_package(package, tmp_path / "out", templates={"表5": TemplateSpec("表5", template)})
    doc = json.loads((result.paths["manifest"]).read_text("utf-8"))
    assert doc["templates"] == [{"table": "表5", "file": "t5.xlsx", "sheet": None,
                                 "sha256": hashlib.sha256(template.read_bytes()).hexdigest()}]  # fmt: skip
