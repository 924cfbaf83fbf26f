"""Repositories: the only code that reads and writes rows."""
