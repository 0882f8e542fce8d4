"""Response models derived from the records of the packages (their frozen dataclasses).

A field is written once, in the package's dataclass: :func:`projection` builds the
pydantic model the API answers with from the dataclass's fields and type hints, so a
field added there appears in the API (and its OpenAPI document) without a second edit.
A view names what it leaves out (``without``: internal keys, storage paths) or, where
only an explicit list may reach a caller, exactly what it shows (``names``). Where the API
promises more than the dataclass states (a ``Literal`` of grades, a nested response
model), ``types`` says so; ``descriptions`` documents fields, ``defaults`` makes them
optional; ``extra`` adds fields the route computes (``name=(type, default)``).

The models are built at run time; modules that use them as annotations alias them to
``BaseModel`` under ``TYPE_CHECKING`` (see :mod:`api.routers.rescue_models`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from typing import Any, get_type_hints

from pydantic import BaseModel, ConfigDict, Field, create_model


def fields_of(source: type[Any], *, without: Iterable[str] = ()) -> tuple[str, ...]:
    """The dataclass's field names in their order, but ``without`` (each must exist)."""
    names = tuple(f.name for f in dataclasses.fields(source))
    left_out = set(without)
    unknown = left_out - set(names)
    if unknown:
        raise ValueError(f"{source.__name__} has no fields {sorted(unknown)}")
    return tuple(name for name in names if name not in left_out)


def projection(
    source: type[Any],
    name: str,
    names: Iterable[str] | None = None,
    *,
    without: Iterable[str] = (),
    types: Mapping[str, Any] | None = None,
    descriptions: Mapping[str, str] | None = None,
    defaults: Mapping[str, Any] | None = None,
    base: type[BaseModel] | None = None,
    module: str = __name__,
    **extra: Any,
) -> type[BaseModel]:
    """A pydantic model named ``name`` with the fields of the dataclass ``source`` (all
    but ``without``, or exactly ``names``), typed as the dataclass types it unless
    ``types`` overrides it, required unless ``defaults`` gives one, validated from
    attributes; plus ``extra`` fields."""
    hints = get_type_hints(source)
    chosen = fields_of(source, without=without) if names is None else tuple(names)
    types, descriptions, defaults = types or {}, descriptions or {}, defaults or {}
    unknown = (set(types) | set(descriptions) | set(defaults)) - set(chosen)
    if unknown:
        raise ValueError(f"{name}: {sorted(unknown)} are not fields of the view")
    fields: dict[str, Any] = {}
    for field in chosen:
        info = Field(defaults.get(field, ...), description=descriptions.get(field))
        fields[field] = (types.get(field, hints[field]), info)
    if base is not None:
        return create_model(name, __base__=base, __module__=module, **fields, **extra)
    return create_model(
        name,
        __config__=ConfigDict(from_attributes=True),
        __module__=module,
        **fields,
        **extra,
    )
