"""支付审批 (DOMAIN §4.3–§4.4): payment requests and their workflow, the payment checks, real-name lists."""
