"""The SQL read model and reference data: models, engines/sessions, seeding (STYLE pattern 7)."""
