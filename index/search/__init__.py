"""Search over a snapshot of the store: parse, match, score, facet, pick passages."""
