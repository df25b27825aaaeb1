"""The demo county 示例县, a shipped feature: built from the operations of app/models (and signed through app/export)."""
