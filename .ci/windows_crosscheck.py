#!/usr/bin/env python3
"""Cross-system evidence check for .ci/windows.sh (standard library only).

    windows_crosscheck.py DB EXPORT_DIR LABEL [--month YYYY-MM]

DB holds the signed packages (their files are kept in `signoff_files`/`attachments`), signed on one
system; EXPORT_DIR holds what the *other* system's `fundledger export` re-created from that DB. Every
signed file must come back byte for byte. On a difference this prints, per file, the sizes, the first
differing offset and — for a PDF — which PDF objects differ and what they are (font program, widths,
content stream, metadata), so "why" is readable in the CI log. Exit 0 only if everything is identical.
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
import sys
import zlib
from pathlib import Path

OBJ = re.compile(rb"(\d+) 0 obj(.*?)endobj", re.S)


def signed_files(db: Path) -> dict[tuple[str, int], dict[str, bytes]]:
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    rows = con.execute(
        "SELECT s.month, s.version, f.name, a.data FROM signoffs s JOIN signoff_files f ON f.signoff_id = s.id "
        "JOIN attachments a ON a.id = f.attachment_id ORDER BY s.month, s.version, f.name").fetchall()
    con.close()
    out: dict[tuple[str, int], dict[str, bytes]] = {}
    for month, version, name, data in rows:
        out.setdefault((month, version), {})[name] = bytes(data)
    return out


def describe_object(body: bytes) -> str:
    head = body.split(b"stream", 1)[0]
    kinds = [k.decode() for k in re.findall(rb"/(Type|Subtype)\s*/(\w+)", head) for k in k[1:]]
    for key in (b"/FontFile2", b"/FontFile3", b"/FontFile", b"/W ", b"/Widths", b"/ToUnicode", b"/CIDToGIDMap",
                b"/FontName", b"/CreationDate", b"/Producer", b"/Length1", b"/Contents"):
        if key in head:
            kinds.append(key.decode().strip())
    if b"stream" in body and not kinds:
        kinds.append("stream")
    m = re.search(rb"/FontName\s*/([^\s/>]+)", head) or re.search(rb"/BaseFont\s*/([^\s/>]+)", head)
    if m:
        kinds.append(m.group(1).decode("latin-1"))
    return " ".join(kinds) or head[:60].decode("latin-1", "replace").replace("\n", " ")


def stream_text(body: bytes) -> bytes:
    m = re.search(rb"stream\r?\n(.*?)\r?\nendstream", body, re.S)
    if not m:
        return b""
    data = m.group(1)
    try:
        return zlib.decompress(data)
    except zlib.error:
        return data


def pdf_report(a: bytes, b: bytes) -> list[str]:
    oa = {int(n): body for n, body in OBJ.findall(a)}
    ob = {int(n): body for n, body in OBJ.findall(b)}
    lines = [f"    PDF 对象：签发 {len(oa)} 个，重现 {len(ob)} 个"]
    shown = 0
    for n in sorted(set(oa) | set(ob)):
        if oa.get(n) == ob.get(n):
            continue
        shown += 1
        if shown > 12:
            lines.append("    …（其余不同的对象从略）")
            break
        if n not in oa or n not in ob:
            lines.append(f"    对象 {n}：只在{'重现' if n not in oa else '签发'}的文件中")
            continue
        what = describe_object(oa[n])
        sa, sb = stream_text(oa[n]), stream_text(ob[n])
        detail = ""
        if sa or sb:
            i = next((k for k in range(min(len(sa), len(sb))) if sa[k] != sb[k]), min(len(sa), len(sb)))
            detail = (f"；解压后 {len(sa)} / {len(sb)} 字节，第 {i} 字节起不同："
                      f"{sa[max(0, i - 30):i + 50]!r} ↔ {sb[max(0, i - 30):i + 50]!r}")
        else:
            i = next((k for k in range(min(len(oa[n]), len(ob[n]))) if oa[n][k] != ob[n][k]), 0)
            detail = f"：{oa[n][max(0, i - 40):i + 60]!r} ↔ {ob[n][max(0, i - 40):i + 60]!r}"
        lines.append(f"    对象 {n}（{what}）不同{detail}")
    return lines


def main(argv: list[str]) -> int:
    db, export_dir, label = Path(argv[0]), Path(argv[1]), argv[2]
    only = argv[argv.index("--month") + 1] if "--month" in argv else None
    packages = {k: v for k, v in signed_files(db).items() if only is None or k[0] == only}
    if not packages:
        print(f"[{label}] {db} 中没有已签发的报送包：无法比对")
        return 1
    bad = 0
    for (month, version), files in packages.items():
        folders = [p for p in export_dir.rglob("*") if p.is_dir() and p.name.endswith(f"_{month}_v{version}")]
        if len(folders) != 1:
            print(f"[{label}] {month} 第 {version} 版：在 {export_dir} 中找不到（唯一的）重现文件夹")
            bad += 1
            continue
        folder = folders[0]
        for name, signed in sorted(files.items()):
            path = folder / name
            again = path.read_bytes() if path.exists() else None
            if again == signed:
                print(f"[{label}] ✓ {month} v{version} {name}：{len(signed)} 字节，"
                      f"SHA-256 {hashlib.sha256(signed).hexdigest()[:16]}… 一致")
                continue
            bad += 1
            if again is None:
                print(f"[{label}] ✗ {month} v{version} {name}：重现的文件夹中没有此文件")
                continue
            first = next((k for k in range(min(len(signed), len(again))) if signed[k] != again[k]),
                         min(len(signed), len(again)))
            print(f"[{label}] ✗ {month} v{version} {name}：签发 {len(signed)} 字节，重现 {len(again)} 字节，"
                  f"第 {first} 字节起不同")
            if name.lower().endswith(".pdf"):
                print("\n".join(pdf_report(signed, again)))
        extra = sorted(p.name for p in folder.iterdir() if p.name not in files)
        if extra:
            print(f"[{label}] ✗ {month} v{version}：重现的文件夹多出 {extra}")
            bad += 1
    print(f"[{label}] {'全部逐字节一致' if not bad else f'{bad} 处不一致'}")
    return 0 if not bad else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
