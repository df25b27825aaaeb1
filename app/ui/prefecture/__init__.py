"""地州汇总 tabs: shown instead of the county\x27s business tabs when the file is at 地州级 (or 自治区级)."""
