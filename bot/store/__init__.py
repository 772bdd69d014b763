"""The store: SQLite connection, schema, data loading and queries."""
