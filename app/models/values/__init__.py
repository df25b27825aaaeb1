"""Value types with no storage: money in 分, 公民身份号码/统一社会信用代码, working days, errors, masking."""
