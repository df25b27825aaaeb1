"""What every tab uses: widgets, lazy table models, dialog helpers, background jobs with progress."""
