"""项目计划 tab: projects, funding lines and the leading group's decisions."""
