"""Who sees which part of the fleet."""

from __future__ import annotations

from fleet.errors import OtherCompany


def company_filter(scope: int | None, requested: int | None) -> int | None:
    """The company a list is filtered to: the caller's own (``scope``, None for callers
    who see every company) or the one asked for; asking for another one is refused."""
    if scope is not None and requested is not None and requested != scope:
        raise OtherCompany
    return scope if scope is not None else requested
