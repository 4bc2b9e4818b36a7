"""Ingest: files -> articles -> passages + entities.  Knows nothing of storage or search."""
