"""The suite's fixtures live in tests/support/fixtures.py (runtime, tenant, signed webhook
clients); builders and constants in tests/support. tests/unit/conftest.py keeps the unit tier
free of moto and the local runtime."""

pytest_plugins = ["tests.support.fixtures"]
