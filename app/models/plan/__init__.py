"""项目计划 (DOMAIN §4.0): projects and their funding lines, the leading group's decisions, payees, plan import."""
