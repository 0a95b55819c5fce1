"""Labs: TOML files that describe segments, hosts, routers, faults and services, and the
built-in ones shipped beside this module (`default` is the seed's worked example)."""

from stack.labs.build import build_network
from stack.labs.load import LabError, builtin_labs, load_lab, read_lab_text

__all__ = ["LabError", "build_network", "builtin_labs", "load_lab", "read_lab_text"]
