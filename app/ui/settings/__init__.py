"""基础设置 tab: the bureau, users, fund items, the calendar."""
