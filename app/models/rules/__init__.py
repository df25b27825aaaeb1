"""The policy rule set (resources/rules/*.toml): its typed shape, loading and validation by key path."""
