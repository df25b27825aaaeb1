"""支付审批 tab: payment requests, their review and the payees page."""
