"""Subcommands of the `threadtui` CLI; each module registers its own parsers."""
