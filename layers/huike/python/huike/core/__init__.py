"""The pure core: clock, errors, enums, business keys, per-process caches. Imports nothing above it."""
