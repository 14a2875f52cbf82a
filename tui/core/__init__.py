"""Everything that is not the screen. Nothing under this package may import textual."""
