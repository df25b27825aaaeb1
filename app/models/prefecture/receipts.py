"""回执: what the receiving bureau tells the sender about one package — the hashes it received, when, the result,
the opinion or the reason it was returned, and the sender's chain head it now holds (its anchor) — and, at the
sender, importing it: the county's file records whether what arrived is exactly what it signed, and whether its
own chain still has the head the prefecture holds.

A receipt is plain JSON, not signed: it tells the county what the prefecture holds; the county checks it against
its own signed files and chain, and the prefecture's copy (its received bytes, in its audited file) is the proof.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from app.models.prefecture import receive
from app.models.store import audit, signature
from app.models.store.book import Book
from app.models.values.errors import ValidationError

FORMAT = 1
KIND = "FundLedger 报送包回执"
MAX_BYTES = 1024 * 1024


def result_of(p: dict[str, Any]) -> str:
    if p["returned"]:
        return "退回"
    return "已接收" if p["checks_ok"] else "已接收（表间勾稽关系未通过）"


def receipt_bytes(book: Book, package_id: int) -> tuple[str, bytes]:
    """(file name, bytes) of the receipt for one received package, as things stand now."""
    p = receive.package(book, package_id)
    files = {str(r[0]): str(r[1]) for r in book.conn.execute(
        "SELECT name, sha256 FROM received_files WHERE package_id = ? ORDER BY name", (package_id,))}
    bureau = book.conn.execute("SELECT name, region_code, level FROM bureau WHERE id = 1").fetchone()
    head = audit.head(book.conn)
    doc = {
        "format": FORMAT, "kind": KIND,
        "receiver": {"name": bureau[0], "region_code": bureau[1], "level": bureau[2]},
        "sender": {"name": p["county"], "region_code": p["code"]},
        "month": p["month"], "version": p["version"], "digest": p["digest"], "files": files,
        "received_at": p["received_at"], "result": result_of(p),
        "checks": [{"no": c["no"], "ok": c["ok"], "detail": c["detail"]} for c in p["checks"]],
        "opinion": p["opinion"], "return_reason": p["return_reason"],
        "anchor": {"seq": p["audit_seq"], "hash": p["audit_hash"]},
        "receiver_head": {"seq": head[0], "hash": head[1]},
    }
    text = json.dumps(doc, ensure_ascii=False, sort_keys=True, indent=2) + "\n"
    return f"回执_{p['county']}_{p['month']}_v{p['version']}.json", text.encode("utf-8")


def write_receipt(book: Book, package_id: int, out_dir: Path | str) -> Path:
    name, data = receipt_bytes(book, package_id)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    path = out / name
    path.write_bytes(data)
    return path


def import_receipt(book: Book, path: Path | str) -> dict[str, Any]:
    """At the sender: record the receipt. Refused (nothing stored) if it is not a receipt, or is for another bureau
    or a version never signed here. The same receipt twice changes nothing."""
    path = Path(path)
    try:
        if path.is_symlink() or path.stat().st_size > MAX_BYTES:
            raise ValidationError(f"{path.name}：不是回执文件（过大或为符号链接）", field="回执")
        data = path.read_bytes()
        doc = json.loads(data)
        if doc.get("kind") != KIND or int(doc.get("format", 0)) != FORMAT:
            raise ValidationError(f"{path.name}：不是本程序的报送包回执", field="回执")
        month, version = str(doc["month"]), int(doc["version"])
        sender, receiver = doc["sender"], doc["receiver"]
        anchor = (int(doc["anchor"]["seq"]), str(doc["anchor"]["hash"]))
        rhead = (int(doc["receiver_head"]["seq"]), str(doc["receiver_head"]["hash"]))
        digest = str(doc["digest"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ValidationError(f"{path.name}：回执无法读取（{exc}）", field="回执") from exc
    own = signature.bureau_of(book.conn)
    if str(sender.get("region_code")) != own["region_code"]:
        raise ValidationError(f"{path.name}：这是给 {sender.get('name')}（{sender.get('region_code')}）的回执，"
                              f"不是本单位（{own['name']} {own['region_code']}）的", field="回执")
    row = book.conn.execute("SELECT files FROM signoffs WHERE month = ? AND version = ?", (month, version)).fetchone()
    if row is None:
        raise ValidationError(f"{path.name}：本文件没有签发过 {month} 第 {version} 版，回执对不上", field="回执")
    sha = hashlib.sha256(data).hexdigest()
    same = book.conn.execute("SELECT * FROM upstream_receipts WHERE receipt_sha256 = ?", (sha,)).fetchone()
    if same is not None:
        return dict(same) | {"new": False}
    intact = receive.digest_of_hashes(json.loads(row[0])) == digest
    anchor_ok = signature.chain_hash_at(book.conn, anchor[0]) == anchor[1]
    with book.write("import_receipt") as conn:
        cur = conn.execute(
            "INSERT INTO upstream_receipts (month, version, digest, intact, result, opinion, return_reason, receiver, "
            "receiver_code, received_at, receiver_head_seq, receiver_head_hash, anchor_seq, anchor_hash, anchor_ok, "
            "receipt_sha256, imported_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (month, version, digest, int(intact), str(doc.get("result", "")), str(doc.get("opinion", "")),
             str(doc.get("return_reason", "")), str(receiver.get("name", "")), str(receiver.get("region_code", "")),
             str(doc.get("received_at", "")), rhead[0], rhead[1], anchor[0], anchor[1], int(anchor_ok), sha,
             book.stamp()))
        rid = int(cur.lastrowid or 0)
    got = book.conn.execute("SELECT * FROM upstream_receipts WHERE id = ?", (rid,)).fetchone()
    return dict(got) | {"new": True}


def receipts(book: Book) -> list[dict[str, Any]]:
    return [dict(r) for r in book.conn.execute("SELECT * FROM upstream_receipts ORDER BY month, version, id")]


def describe(r: dict[str, Any]) -> str:
    what = f"{r['month']} 第 {r['version']} 版：{r['receiver']} 于 {r['received_at']} {r['result']}"
    what += "；收到的文件与本单位签发的完全一致" if r["intact"] else "；对方收到的文件与本单位签发的不一致！"
    what += f"；对方持有本单位审计链头 #{r['anchor_seq']}" + ("（与本文件一致）" if r["anchor_ok"] else "（与本文件不一致！）")
    if r["return_reason"]:
        what += f"；退回理由：{r['return_reason']}"
    if r["opinion"]:
        what += f"；审核意见：{r['opinion']}"
    return what

