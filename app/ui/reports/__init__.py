"""月报 tab: months, preview, sign-off and the region's templates."""
