"""The base of every command, and who acts: shared by domain/commands.py and domain/follow_up_commands.py."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from domain.fields import ShortText, UnitId
from domain.vocabulary import ActorKind


class Command(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Actor(Command):
    kind: ActorKind
    id: ShortText
    name: ShortText = ""
    # For unit staff: the unit they act for (A14 "the unit"); the API fills it from the credential.
    unit_id: UnitId | None = None
