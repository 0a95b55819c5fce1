"""Crafted packets as readable text files: one expression a line, `#` starts a comment line.
A file saved here loads again, and a person can write one by hand."""

from __future__ import annotations

from workbench.craft.expression import ExpressionError, parse

HEADER = '# Packet Workbench crafted packets: one scapy-like expression a line (workbench run --do "HOST: send --file FILE")\n'


def save(path: str, expressions: list[str]) -> None:
    with open(path, "w", encoding="utf-8") as out:
        out.write(HEADER)
        for text in expressions:
            out.write(text.strip() + "\n")


def load(path: str) -> list[str]:
    """The expressions of a file, each checked; ExpressionError names the line that is wrong."""
    try:
        with open(path, encoding="utf-8") as handle:
            lines = handle.read().splitlines()
    except UnicodeDecodeError:
        raise ExpressionError(f"{path} is not a text file of expressions") from None
    found = []
    for number, line in enumerate(lines, 1):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        try:
            parse(text)
        except ExpressionError as err:
            raise ExpressionError(f"{path} line {number}: {err}") from None
        found.append(text)
    if not found:
        raise ExpressionError(f"{path} holds no expressions")
    return found
