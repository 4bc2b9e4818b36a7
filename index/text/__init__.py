"""Language knowledge shared by ingest, storage and search: analysis, folding, aliases, highlighting, embeddings."""
