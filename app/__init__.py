"""FundLedger · 财政扶贫资金监管台账."""

__version__ = "0.2.0"
APP_NAME = "FundLedger"
APP_TITLE = "财政扶贫资金监管台账"
