"""The domain and its storage, one package per capability; no Qt anywhere (tests/test_layers.py)."""
