"""Errors raised by the storage layer."""

from domain.errors import LiftwatchError


class StorageError(LiftwatchError):
    """Base error of the storage layer."""


class MigrationError(StorageError):
    """A migration cannot be applied (missing variant, changed checksum, SQL error)."""
