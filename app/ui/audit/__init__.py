"""审计 tab: the audit log, verify, and the signed packages page."""
