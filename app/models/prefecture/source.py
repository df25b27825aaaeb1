"""A package as it arrives: a folder, or a .zip from a USB stick — read into memory with hard bounds.

Refused before anything is read into the file: a name that climbs out of the package (`..`, absolute, drive
letters, backslashes), a symbolic link (in the folder or as a zip entry), a subfolder, too many files, a file
or a total too large, a zip entry that inflates more than MAX_RATIO times (a zip bomb), and an entry whose real
size is larger than its header claims (reading stops at the claimed size + 1).
"""

from __future__ import annotations

import stat
import zipfile
from pathlib import Path, PurePosixPath

from app.models.values.errors import AppError

MAX_FILES = 16
MAX_FILE_BYTES = 128 * 1024 * 1024
MAX_TOTAL_BYTES = 256 * 1024 * 1024
MAX_RATIO = 200
_CHUNK = 1 << 20


class Refused(AppError):
    """The package is refused as a whole; the message names the file and the reason. Nothing was stored."""


def _safe_name(raw: str, label: str) -> str:
    if "\\" in raw or raw.startswith("/") or (len(raw) > 1 and raw[1] == ":") or "\x00" in raw:
        raise Refused(f"{label}：文件名 {raw!r} 指向报送包之外（绝对路径或盘符），已拒绝，未保存任何内容", field="报送包")
    parts = PurePosixPath(raw).parts
    if any(p in ("..", ".") for p in parts):
        raise Refused(f"{label}：文件名 {raw!r} 含 “..”，指向报送包之外，已拒绝，未保存任何内容", field="报送包")
    return raw


def read(path: Path | str) -> tuple[str, dict[str, bytes]]:
    """(label, {file name: bytes}) of a package folder or .zip. Raises Refused."""
    path = Path(path)
    label = path.name
    if path.is_symlink():
        raise Refused(f"{label}：是符号链接，已拒绝（请直接选择报送包文件夹或 .zip 文件）", field="报送包")
    if path.is_dir():
        return label, _read_folder(path, label)
    if path.is_file() and zipfile.is_zipfile(path):
        return label, _read_zip(path, label)
    if not path.exists():
        raise Refused(f"{path}：不存在", field="报送包")
    raise Refused(f"{label}：既不是报送包文件夹，也不是 .zip 压缩包", field="报送包")


def _read_folder(folder: Path, label: str) -> dict[str, bytes]:
    entries = sorted(folder.iterdir())
    if len(entries) > MAX_FILES:
        raise Refused(f"{label}：有 {len(entries)} 个文件，报送包最多 {MAX_FILES} 个，已拒绝", field="报送包")
    out: dict[str, bytes] = {}
    total = 0
    for p in entries:
        if p.is_symlink():
            raise Refused(f"{label}/{p.name}：是符号链接（可能指向报送包之外），已拒绝，未保存任何内容", field="报送包")
        if p.is_dir():
            raise Refused(f"{label}/{p.name}：报送包中不应有子文件夹，已拒绝", field="报送包")
        if not p.is_file():
            raise Refused(f"{label}/{p.name}：不是普通文件，已拒绝", field="报送包")
        size = p.stat().st_size
        total += size
        if size > MAX_FILE_BYTES or total > MAX_TOTAL_BYTES:
            raise Refused(f"{label}/{p.name}：文件过大（报送包单个文件不超过 {MAX_FILE_BYTES // 2**20} MB、"
                          f"合计不超过 {MAX_TOTAL_BYTES // 2**20} MB），已拒绝", field="报送包")
        with open(p, "rb") as fh:
            data = fh.read(MAX_FILE_BYTES + 1)
        if len(data) > MAX_FILE_BYTES:
            raise Refused(f"{label}/{p.name}：文件过大，已拒绝", field="报送包")
        out[p.name] = data
    return out


def _read_zip(path: Path, label: str) -> dict[str, bytes]:
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise Refused(f"{label}：压缩包已损坏（{exc}）", field="报送包") from exc
    with zf:
        infos = zf.infolist()
        if len(infos) > MAX_FILES + 1:
            raise Refused(f"{label}：压缩包中有 {len(infos)} 个条目，报送包最多 {MAX_FILES} 个文件，已拒绝", field="报送包")
        files = []
        for info in infos:
            _safe_name(info.filename, label)
            mode = info.external_attr >> 16
            if stat.S_ISLNK(mode):
                raise Refused(f"{label}：条目 {info.filename} 是符号链接，已拒绝，未保存任何内容", field="报送包")
            if info.is_dir():
                continue
            files.append(info)
        if sum(i.file_size for i in files) > MAX_TOTAL_BYTES:
            raise Refused(f"{label}：解开后超过 {MAX_TOTAL_BYTES // 2**20} MB，已拒绝（可能是压缩炸弹）", field="报送包")
        for info in files:
            if info.file_size > MAX_FILE_BYTES:
                raise Refused(f"{label}：条目 {info.filename} 解开后过大，已拒绝", field="报送包")
            if info.file_size > _CHUNK and info.file_size > MAX_RATIO * max(info.compress_size, 1):
                raise Refused(f"{label}：条目 {info.filename} 压缩比 {info.file_size // max(info.compress_size, 1)}:1，"
                              "远超正常文件，是压缩炸弹，已拒绝，未保存任何内容", field="报送包")
        tops = {i.filename.split("/")[0] for i in files}
        prefix = f"{tops.pop()}/" if len(tops) == 1 and all("/" in i.filename for i in files) else ""
        out: dict[str, bytes] = {}
        for info in files:
            name = info.filename[len(prefix):]
            if "/" in name or not name:
                raise Refused(f"{label}：条目 {info.filename} 在子文件夹中，不是一个报送包，已拒绝", field="报送包")
            if name in out:
                raise Refused(f"{label}：条目 {name} 出现两次，已拒绝", field="报送包")
            out[name] = _bounded(zf, info, label)
        return out


def _bounded(zf: zipfile.ZipFile, info: zipfile.ZipInfo, label: str) -> bytes:
    """Read at most the declared size + 1: a header that lies about the size is caught, not believed."""
    chunks, size = [], 0
    try:
        with zf.open(info) as fh:
            while True:
                chunk = fh.read(min(_CHUNK, info.file_size + 1 - size) or 1)
                if not chunk:
                    break
                size += len(chunk)
                chunks.append(chunk)
                if size > info.file_size:
                    raise Refused(f"{label}：条目 {info.filename} 的实际大小超过其声明，已拒绝（可能是压缩炸弹）",
                                  field="报送包")
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise Refused(f"{label}：条目 {info.filename} 无法解压（{exc}）", field="报送包") from exc
    return b"".join(chunks)
