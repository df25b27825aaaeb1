"""Personal identifiers never reach a log or crash report: full ID numbers and bank account numbers in any
text are masked the way public documents mask them (DOMAIN §2)."""

from __future__ import annotations

import re

from app.models.values.ids import mask_account, mask_id

# An 18-character 公民身份号码 (17 digits and a check character), then any other run of 12–30 digits (accounts).
_ID = re.compile(r"(?<![0-9A-Za-z])[0-9]{17}[0-9Xx](?![0-9A-Za-z])")
_ACCOUNT = re.compile(r"(?<![0-9])[0-9]{12,30}(?![0-9])")


def mask_text(text: str) -> str:
    """`text` with every full ID number and long account number masked; everything else unchanged."""
    if not text:
        return text
    text = _ID.sub(lambda m: mask_id(m.group(0)), text)
    return _ACCOUNT.sub(lambda m: mask_account(m.group(0)), text)
