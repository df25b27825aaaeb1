"""The demo county ready-made: built once (when the program is packaged, or on first use), copied afterwards.

Building the demo runs the whole year through the business operations — hundreds of audited writes, eight
sign-offs with their workbooks and PDFs — about half a minute. Its content depends on nothing but the code:
its clock is fixed and its 今天 is stored in it (store/clock.py), so a copy made once is the same file a
build made today would be, and nothing in it needs re-stamping (no date, key or password depends on when or
where it is copied; every copy's accounts and signing key are the published demo ones).

A ready-made copy is used only when its manifest says it was built by this code: the same schema version,
the same *recipe* (a SHA-256 over the program's own sources and rule sets, or in a packaged program the one
written into the packaged copy's manifest at packaging time) and the file's own SHA-256. Anything else —
an older program's copy, a truncated or edited file — is ignored and the demo is built afresh.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sys
from pathlib import Path

from app import __version__
from app.demo import build as demo
from app.models.store import db
from app.resources import resources_dir

FILE = "示例县.db"
MANIFEST = "manifest.json"


def shipped_dir() -> Path:
    """Where a packaged program carries its ready-made demo (build.spec puts it there)."""
    return resources_dir() / "demo"


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def recipe() -> str:
    """What the demo is made from: the app's sources and resources' rule sets; in a packaged program (no
    sources to read) the recipe written beside the packaged copy."""
    if getattr(sys, "frozen", False):
        try:
            return str(json.loads((shipped_dir() / MANIFEST).read_text(encoding="utf-8"))["recipe"])
        except (OSError, ValueError, KeyError):
            return ""
    root = Path(__file__).resolve().parents[1]
    h = hashlib.sha256()
    files = sorted(root.rglob("*.py")) + sorted(root.rglob("*.sql")) + sorted((resources_dir()).rglob("*.toml"))
    for path in files:
        h.update(path.as_posix().encode("utf-8") + b"\0")
        h.update(path.read_bytes() + b"\0")
    return h.hexdigest()


def _wanted() -> dict[str, object]:
    return {"schema": db.latest_version(), "recipe": recipe(), "today": demo.TODAY.isoformat()}


def usable(folder: Path) -> Path | None:
    """The ready-made demo in `folder` when it was built by this code and is intact, else None."""
    path, manifest = folder / FILE, folder / MANIFEST
    try:
        info = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    want = _wanted()
    if not want["recipe"] or any(info.get(k) != v for k, v in want.items()):
        return None
    if not path.is_file() or _sha256(path) != info.get("sha256"):
        return None
    return path


def keep(folder: Path, built: Path) -> Path:
    """Store a freshly built demo in `folder` with its manifest (written last: a half-kept copy is never used)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / MANIFEST).unlink(missing_ok=True)
    target = folder / FILE
    shutil.copyfile(built, target)
    info = _wanted() | {"sha256": _sha256(target), "version": __version__}
    (folder / MANIFEST).write_text(json.dumps(info, ensure_ascii=False, indent=1), encoding="utf-8")
    return target


def make(dest: Path | str, *, caches: list[Path] | None = None, keep_in: Path | None = None) -> tuple[Path, bool]:
    """The demo at `dest` (which must not exist): copied from the first usable ready-made one in `caches`
    (default: the packaged one), else built and, with `keep_in`, kept there for next time.
    Returns (path, True when it was copied)."""
    dest = Path(dest)
    if dest.exists():
        raise FileExistsError(dest)
    for folder in caches if caches is not None else [shipped_dir()]:
        found = usable(folder)
        if found is not None:
            part = dest.with_name(dest.name + ".part")
            shutil.copyfile(found, part)
            part.replace(dest)
            return dest, True
    demo.build(dest)
    if keep_in is not None:
        try:
            keep(keep_in, dest)
        except OSError:
            pass  # no cache this time: the next first run builds again
    return dest, False


def has_fixed_day(path: Path) -> bool:
    """Whether a demo file carries its own 今天 (one made by an older program does not: its story follows the
    computer's date). Read without opening it as a bureau file (no lock, no upgrade)."""
    import sqlite3

    try:
        conn = sqlite3.connect(db.file_uri(path) + "?mode=ro", uri=True)
        try:
            return conn.execute("SELECT count(*) FROM demo_clock").fetchone()[0] == 1
        finally:
            conn.close()
    except sqlite3.Error:
        return False


def prepare(folder: Path) -> Path:
    """For packaging (build.spec): a ready-made demo in `folder`, reused when it is already this code's."""
    found = usable(folder)
    if found is not None:
        return found
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    built = demo.build(folder / "building.db")
    try:
        return keep(folder, built)
    finally:
        built.unlink(missing_ok=True)
