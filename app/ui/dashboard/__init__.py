"""监控预警 tab: the dashboard, warning and problem pages, their dialogs."""
