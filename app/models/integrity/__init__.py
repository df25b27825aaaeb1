"""What `verify` checks of the data (integrity, audit chain, business invariants of every capability),
and the start-up check of the shipped resources."""
