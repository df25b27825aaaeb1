"""监控预警 (DOMAIN §5.1): detectors W1–W9 (listed in registry.py), the engine that stores them,
问题台账 and the dashboard's figures."""
