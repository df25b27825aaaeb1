"""公告公示 tab: duties and notice records."""
