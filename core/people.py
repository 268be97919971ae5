"""How people are named on pages, slips, PDFs and in the API: by their display name (issue 17.5)."""

from typing import Any


def display_name(user: Any) -> str:
    """The user's full name; the login only for an account that has none (accounts made on the people page always
    have one); "" for nobody."""
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()
