"""专账 tab: indicators, entries, balances, reconciliation, the treasury import."""
