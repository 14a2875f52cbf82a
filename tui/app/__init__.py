"""The Textual application: screen only; all logic it needs lives in tui.core."""
