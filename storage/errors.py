"""Errors raised by the storage layer."""


class StorageError(Exception):
    """Base error of the storage layer."""


class MigrationError(StorageError):
    """A migration cannot be applied (missing variant, changed checksum, SQL error)."""
