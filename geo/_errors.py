"""The project's error type: one sentence a user can act on, never a traceback."""

from __future__ import annotations


class GeoError(Exception):
    """A problem with the user's input or environment, worded for the user.

    The CLI prints the message and exits non-zero; library callers can catch it.
    """
