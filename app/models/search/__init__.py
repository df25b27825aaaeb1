"""全局搜索: one full-text index over payees, projects, indicators, payment requests and notices (schema 0008)."""
