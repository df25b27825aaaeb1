"""月报 as data (REPORTS.md): table definitions, row sources, layout, cross-checks, the package data and
its snapshot, the months' status. Rendering and signing are one floor up, in app/export."""
