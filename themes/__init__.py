"""The workbench's colour themes, one TOML file each in this folder (shipped as the package
`workbench.themes`): Textual's theme colours plus our own variables — the packet list's
protocol colours (`proto-arp`, `proto-icmp`, …) and the event log's (`log-drop`, …).

Colours are picked from the xterm 256-colour cube (00/5f/87/af/d7/ff), so a terminal over SSH
that only has 256 colours shows exactly what was designed. `VARIABLE_DEFAULTS` backs every
variable, so switching to one of Textual's built-in themes never breaks the stylesheet.
"""

from __future__ import annotations

import tomllib
from importlib import resources

from textual.theme import Theme

# Every variable a workbench stylesheet or widget may use, with a fallback for themes
# (Textual's own) that do not define it.
VARIABLE_DEFAULTS: dict[str, str] = {
    "proto-arp": "#d7af5f",
    "proto-icmp": "#af87ff",
    "proto-ipv4": "#87afd7",
    "proto-udp": "#5fafd7",
    "proto-tcp": "#87d787",
    "proto-dns": "#5fd7d7",
    "proto-dhcp": "#d787af",
    "proto-http": "#afd75f",
    "proto-other": "#afafaf",
    "proto-malformed": "#ff5f5f",
    "log-time": "#878787",
    "log-drop": "#878787",
    "log-output": "#d7d7ff",
}

_THEME_KEYS = {
    "name",
    "primary",
    "secondary",
    "warning",
    "error",
    "success",
    "accent",
    "foreground",
    "background",
    "surface",
    "panel",
    "boost",
    "dark",
    "luminosity_spread",
    "text_alpha",
}


class ThemeFileError(ValueError):
    """A theme file that cannot be used; the message is one sentence."""


def theme_from_toml(text: str, source: str) -> Theme:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ThemeFileError(f"theme {source}: not valid TOML ({err})") from None
    variables = data.pop("variables", {})
    unknown = set(data) - _THEME_KEYS
    if unknown:
        raise ThemeFileError(
            f"theme {source}: unknown key {sorted(unknown)[0]!r} (known: {', '.join(sorted(_THEME_KEYS))})"
        )
    if "name" not in data or "primary" not in data:
        raise ThemeFileError(f"theme {source}: needs at least a name and a primary colour")
    missing = set(VARIABLE_DEFAULTS) - set(variables)
    if missing:
        raise ThemeFileError(f"theme {source}: variables lack {', '.join(sorted(missing))}")
    return Theme(**data, variables=dict(variables))


def load_themes() -> dict[str, Theme]:
    """Name → Theme for every `*.toml` in this folder, in the order dark, light, the rest."""
    themes: dict[str, Theme] = {}
    for entry in sorted(resources.files(__name__).iterdir(), key=lambda p: p.name):
        if entry.name.endswith(".toml"):
            theme = theme_from_toml(entry.read_text(encoding="utf-8"), entry.name)
            themes[theme.name] = theme
    order = {"dark": 0, "light": 1}
    return dict(sorted(themes.items(), key=lambda item: (order.get(item[0], 2), item[0])))


DEFAULT_THEME = "dark"
