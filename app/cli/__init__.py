"""The command line `fundledger`: one module per command group, listed in main.MODULES."""
