"""The panes of the workbench, one widget per file named for what it shows."""
