"""Only what pyproject.toml cannot say: the package list. `themes/` is installed as the package
`workbench.themes` (see package-dir in pyproject.toml), which automatic discovery misses."""

from setuptools import find_namespace_packages, setup

setup(
    packages=[
        *find_namespace_packages(
            include=["stack", "stack.*", "workbench", "workbench.*"], exclude=["*.__pycache__"]
        ),
        "workbench.themes",
    ],
)
