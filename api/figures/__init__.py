"""The figures behind the chapter 5 reports (A25–A27), from the SQL read model."""
