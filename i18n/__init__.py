"""Server-side messages that users read, in their language (docs/ui.md).

The same convention as the web UI's catalogues (``api/static/i18n/<lang>/<area>.json``):
packaged JSON files ``i18n/messages/<lang>/<area>.json``, flat objects of dotted keys
prefixed by the area, ``{name}`` placeholders; Simplified Chinese is the default and
every key exists in both languages (``tests/unit/test_i18n_catalogues.py``). Dates,
times and numbers in placeholders are formatted with Babel, times in Asia/Shanghai.

Sits beside storage, messaging and analytics in the layers: it imports nothing of ours
but ``domain``, so the API (error details), rescue (notification texts) and public
(sticker and page texts) can all use it.
"""

from i18n.catalogue import (
    DEFAULT_LANG,
    LANGUAGES,
    TIME_ZONE,
    catalogue,
    format_value,
    has,
    negotiate,
    placeholders,
    translate,
)
from i18n.texts import (
    MessageError,
    Term,
    case_text,
    error_message,
    offer_text,
    validation_errors,
)

__all__ = [
    "DEFAULT_LANG",
    "LANGUAGES",
    "TIME_ZONE",
    "MessageError",
    "Term",
    "case_text",
    "catalogue",
    "error_message",
    "format_value",
    "has",
    "negotiate",
    "offer_text",
    "placeholders",
    "translate",
    "validation_errors",
]
