"""threadtui: a terminal chat client that is its own system of record for OpenAI threads."""

__version__ = "0.1.0"
