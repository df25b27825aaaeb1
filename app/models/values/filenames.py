"""File and folder names the Windows shell accepts — checked on every OS, so a name made on Linux opens on Windows.

The clerks' PCs run Windows: `CON`, `aux.xlsx`, `报表.`, `a:b` or `月报 ` (trailing space) cannot be created
or opened there (or are silently turned into another file or a device). Every place a user names a file —
package folders and files, exports, attachments, a new database — calls `check` (or `check_path` for the
last part of a path), which refuses such a name with a Chinese message naming the field and the reason.
"""

from __future__ import annotations

import re
from pathlib import PurePath

from app.models.values.errors import ValidationError

RESERVED_CHARS = '<>:"/\\|?*'
_CONTROL = re.compile(r"[\x00-\x1f]")
# Device names, whatever the case and whatever follows the first dot ("aux.xlsx", "Con.tar.gz"); Windows also
# ignores spaces before that dot ("nul .txt"). COM/LPT with a superscript digit are devices too.
_DEVICE = re.compile(r"^(CON|PRN|AUX|NUL|CONIN\$|CONOUT\$|COM[0-9¹²³]|LPT[0-9¹²³])$", re.IGNORECASE)
MAX_UTF16 = 255  # NTFS: one name part, in UTF-16 code units


def problem(name: str) -> str | None:
    """Why Windows refuses this one name part, in Chinese; None when it is fine."""
    if not name or not name.strip():
        return "名称为空"
    if name in (".", ".."):
        return f"“{name}”不能用作文件名"
    bad = sorted({ch for ch in name if ch in RESERVED_CHARS})
    if bad:
        shown = "".join(bad)
        return f"“{name}”含有 Windows 文件名不允许的字符 {shown}（不能含 {RESERVED_CHARS} ）"
    if _CONTROL.search(name):
        return f"“{name!r}”含有控制字符（如换行、制表符）"
    if name[-1] in ". ":
        return f"“{name}”以{'句点' if name[-1] == '.' else '空格'}结尾，Windows 会去掉它，实际得到另一个文件名"
    stem = name.split(".", 1)[0].rstrip(" ")
    if _DEVICE.match(stem):
        return f"“{name}”是 Windows 保留的设备名（{stem.upper()}），不能用作文件名，即使带扩展名"
    if len(name.encode("utf-16-le")) // 2 > MAX_UTF16:
        return f"“{name[:20]}…”太长（超过 {MAX_UTF16} 个字符）"
    return None


def check(name: str, field: str) -> str:
    """`name` unchanged if Windows accepts it as a file or folder name; otherwise a ValidationError naming `field`."""
    reason = problem(name)
    if reason:
        raise ValidationError(f"{reason}。请换一个名称", field=field)
    return name


def check_path(path: PurePath | str, field: str) -> PurePath | str:
    """The last part of a path the user chose (an export file, an output folder, a new .db), checked as above."""
    # the part after the last / or \ (a Windows path typed on Linux still counts), the path returned unchanged
    name = re.split(r"[\\/]", str(path).rstrip("/\\"))[-1] if str(path).rstrip("/\\") else ""
    if re.fullmatch(r"[A-Za-z]:", name) or str(path) in ("/", "\\", ".", ".."):
        return path  # a drive or the root/current folder: no name to check
    check(name, field)
    return path


def check_names(names: dict[str, str], field: str) -> dict[str, str]:
    """Every value of a {role: file name} mapping (e.g. a package's folder and file names)."""
    for name in names.values():
        check(name, field)
    return names
