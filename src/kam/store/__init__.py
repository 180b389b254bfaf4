"""The store: the system of record (SQLite or PostgreSQL)."""
