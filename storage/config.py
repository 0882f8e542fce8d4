"""Settings of the storage layer's housekeeping (part of :class:`liftwatch.settings.Settings`)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class RetentionSettings(BaseModel):
    """How long operational records are kept; `liftwatch db maintain` deletes older ones.

    ``LIFTWATCH_RETENTION__DEAD_LETTER_DAYS`` and so on. Webhook deliveries still pending
    are kept whatever their age (they are work, not history).
    """

    dead_letter_days: int = Field(30, ge=1, le=36_500)
    webhook_delivery_days: int = Field(30, ge=1, le=36_500)
    terminal_event_days: int = Field(30, ge=1, le=36_500)
    # The rescuer phone's applied actions (kept to answer a resend of the same action).
    rescuer_action_days: int = Field(30, ge=1, le=36_500)
    # Rows deleted per statement: short transactions, no long lock on a busy table.
    batch_rows: int = Field(10_000, ge=100, le=1_000_000)
