"""Storage: the PynamoDB models and their access patterns, one module per aggregate.

The only package that imports PynamoDB.
"""
