"""Errors that the CLI reports as one line (bad input, missing file, unknown id), not as a traceback."""


class UserError(Exception):
    """A problem the user can fix; the message says what and how."""
