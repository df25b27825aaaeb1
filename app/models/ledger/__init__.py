"""专账 (DOMAIN §3, §4.2, §4.5): fund documents (指标), the special account, issuance deadlines,
spending progress, the treasury's payment data and monthly reconciliation."""
