"""The backends behind the Index facade (index/backend.py says what each must do)."""
