"""PackageData ⇄ canonical JSON: what a sign-off stores, so the package can be re-created byte for byte."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

from app.models.reports.package_data import PackageData, SignOff, WarningRecord


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, dt.date):
        return {"$date": value.isoformat()}
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _typed(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"$date"}:
            return dt.date.fromisoformat(value["$date"])
        if set(value) == {"$datetime"}:
            return dt.datetime.fromisoformat(value["$datetime"])
        return {k: _typed(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_typed(v) for v in value]
    return value


def dumps(package: PackageData) -> str:
    """Sorted keys, no whitespace, Chinese as is: the same package is always the same text."""
    doc = {
        "bureau": package.bureau, "month": package.month, "period_start": package.period_start,
        "period_end": package.period_end, "version": package.version, "bureau_level": package.bureau_level,
        "rows": {name: list(rows) for name, rows in package.rows.items()},
        "signoff": {"chief": package.signoff.chief, "reviewer": package.signoff.reviewer,
                    "preparer": package.signoff.preparer, "signed_at": package.signoff.signed_at,
                    "comment": package.signoff.comment},
        "warnings": [{"id": w.id, "code": w.code, "detected_on": w.detected_on} for w in package.warnings],
        "audit_head": list(package.audit_head) if package.audit_head else None,
        "fixed_time": package.fixed_time,
    }
    if package.signing_key:  # absent from packages signed before keys existed: their stored text stays as it was
        doc["signing_key"] = package.signing_key
    if package.rule_set:  # the month's rule set: signed with the data, so changing a signed year's set is caught
        doc["rule_set"] = package.rule_set
    if package.calendar:  # the holidays its deadlines were counted with: a calendar edited behind a sign-off is caught
        doc["calendar"] = package.calendar
    if package.calc:  # the computation (package_data.CALC): verify re-sums the month the way it was summed
        doc["calc"] = package.calc
    if package.wording:  # calc 2: the words of the month's rule set (absent before, so older months' text stays)
        doc["wording"] = package.wording
    if package.balances:  # calc 3: each indicator's balances at the period end, carried by later months (issue #22)
        doc["balances"] = package.balances
    return json.dumps(_plain(doc), ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def loads(text: str) -> PackageData:
    doc = _typed(json.loads(text))
    s = doc["signoff"]
    return PackageData(
        bureau=doc["bureau"], month=doc["month"], period_start=doc["period_start"], period_end=doc["period_end"],
        version=int(doc["version"]), bureau_level=doc["bureau_level"], rows=doc["rows"],
        signoff=SignOff(chief=s["chief"], reviewer=s["reviewer"], preparer=s["preparer"], signed_at=s["signed_at"],
                        comment=s["comment"]),
        warnings=[WarningRecord(int(w["id"]), w["code"], w["detected_on"]) for w in doc["warnings"]],
        audit_head=(int(doc["audit_head"][0]), str(doc["audit_head"][1])) if doc["audit_head"] else None,
        fixed_time=doc["fixed_time"], signing_key=str(doc.get("signing_key") or ""),
        rule_set=str(doc.get("rule_set") or ""), calendar=str(doc.get("calendar") or ""),
        calc=int(doc.get("calc") or 0), wording=dict(doc.get("wording") or {}),
        balances={str(k): [int(v) for v in vs] for k, vs in (doc.get("balances") or {}).items()},
    )


def balances_digest(balances: Mapping[str, Sequence[int]]) -> str:
    """SHA-256 of the stored indicator balances (calc 3) as the snapshot writes them: what the manifest records."""
    text = json.dumps({str(k): list(v) for k, v in balances.items()}, sort_keys=True, separators=(",", ":"))
    return digest(text)


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
