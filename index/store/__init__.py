"""Storage: the only code that touches Whoosh (schema, writing, segment reading, snapshots)."""
