"""Screens: the main workbench, help, prompts, opening a lab."""
