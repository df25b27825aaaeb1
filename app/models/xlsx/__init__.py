"""Reading the .xlsx sheets people fill in (plans, rosters, treasury exports) and writing their templates."""
