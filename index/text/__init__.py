"""Text models beside the index: sentence embeddings for semantic ranking (`index.text.embeddings`)."""
