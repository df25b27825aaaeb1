"""The level above the county (地州汇总): counties, receiving signed packages, on-time status, review, receipts,
consolidation. The same code serves one level more up (自治区 receives prefecture packages)."""
