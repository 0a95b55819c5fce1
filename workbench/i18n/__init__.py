"""The workbench's languages: English (the stack's own words, the default) and Chinese in the
seed's terms. The stack explains every event in English; here a language's catalogue turns
those sentences, and the app's help, into that language — the stack never knows.

`set_language("zh")` for the process (each app, each SSH session is its own); `explain(entry)`
for an event-log entry, `say(text)` for any English sentence of the stack or the app.
"""

from __future__ import annotations

import re
from collections.abc import Callable

LANGUAGES = {"en": "English", "zh": "中文"}
_current = "en"
_catalogues: dict[str, Callable[[str], str]] = {}


def set_language(code: str) -> None:
    global _current
    if code not in LANGUAGES:
        raise ValueError(f"no language {code!r} (languages: {', '.join(LANGUAGES)})")
    _current = code


def language() -> str:
    return _current


def say(text: str) -> str:
    """`text` (an English sentence of the stack or the app) in the current language."""
    if _current == "en" or not text:
        return text
    translate = _catalogues.get(_current)
    if translate is None:
        from workbench.i18n import zh

        translate = _catalogues["zh"] = zh.translate
    return translate(text)


def explain(entry) -> str:
    """An event-log entry's sentence in the current language."""
    return say(entry.describe())


def phrases(pairs: list[tuple[str, str]]) -> Callable[[str], str]:
    """A translator from (English pattern, replacement) pairs, tried in order, each applied
    everywhere it matches (patterns are regular expressions; replacements may use groups)."""
    compiled = [(re.compile(p), r) for p, r in pairs]

    def translate(text: str) -> str:
        for pattern, replacement in compiled:
            text = pattern.sub(replacement, text)
        return text

    return translate
