"""The ticket's stages as the regulation orders them: each module holds a stage's checks (the verdicts an
update's validator gives) and its transitions (what an accepted action does to the state).

A check raises `RuleViolation(code, rule)`; a transition is `f(state, command, step, planned) -> events`: it
changes the state and returns the timeline events it recorded. Nothing here does I/O or reads a clock, so
the workflow (inside Temporal's sandbox), the API and CPU-only unit tests run the same code.
"""
