"""绩效目标 (DOMAIN §5.2): goals in the standard tree, monitoring values, decisions, import."""
