"""Server dialects behind one async interface (see base.py). No textual here."""
