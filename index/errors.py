"""The mark of an error a user can meet and fix: bad input, settings, files, the model, the index.

The ``rag`` command shows such an error as one line on stderr (ui/cli.py); any other exception is
a bug and keeps its stack trace. Each module raising one defines its own class on top of this.
"""


class UserError(Exception):
    """An error whose message tells the user what is wrong and what to do; not a bug."""
