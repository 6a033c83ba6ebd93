"""Imports: customer and order files a seller uploads, parsed, cleaned and merged into Huike."""
