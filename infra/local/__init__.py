"""Huike's local runtime: the SAM template, ASL files and real handlers on moto, one process."""
