"""绩效目标 tab: goals, monitoring and self-evaluation."""
