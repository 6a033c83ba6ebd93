"""What tests and benchmarks share: the virtual clock's start, buyers' phones, payload builders,
signed webhook clients and the pytest fixtures.

Nothing here imports moto or the local runtime at import time: `clock`, `contacts`, `payloads`,
`signing` and `webhooks` are plain Python (the unit tier uses them); `fixtures` imports
`infra.local.runtime` only inside the fixtures that build it.
"""
