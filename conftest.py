"""Repository-wide pytest settings: notebook outputs are compared with tolerances (tools/nbval_tolerance.py)."""

pytest_plugins = ["tools.nbval_tolerance"]
