"""Crafting frames: a safe scapy-like expression language (`expression`), scapy's layer
registry (`layers`), a host filling in what it would (`fill`), the templates a person starts
from (`templates`), and sending, bursts and replays as shell programs (`send`, `replay`).

Scapy is the crafter's engine here (the stack never uses it); nothing a person types is passed
to `eval`: expressions are read with `ast` and only layer constructors, keyword arguments with
literal values and `/` are accepted.
"""
