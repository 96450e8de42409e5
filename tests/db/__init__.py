"""Read-model and activity tests against SQLite and PostgreSQL."""
