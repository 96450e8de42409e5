"""Reaching people: the dispatcher that drains the `notices` outbox to webhooks, SMS and the units' feed."""
