"""Errors that tell the user what went wrong, where, and what to do.

Every error carries a translation key and its parameters, so the app and the CLI can show it in the
user's language (see :mod:`geo.render.i18n`); ``str(err)`` is the English text.
"""

from __future__ import annotations

from typing import Any


class XuequError(Exception):
    """Base class of the errors Xuequ explains to its users.

    Parameters
    ----------
    key
        Translation key of the message (see :mod:`geo.render.i18n`).
    **params
        Values the message names (file, row, field, ...); a string value starting with ``@`` is itself a
        translation key.
    """

    def __init__(self, key: str, **params: Any) -> None:
        self.key = key
        self.params = params
        super().__init__(self.message("en"))

    def message(self, lang: str = "zh") -> str:
        """The message in ``lang``.

        Parameters
        ----------
        lang
            "zh" or "en".

        Returns
        -------
        text
        """
        from geo.render.i18n import t  # lazy: the translation table loads only when a message is shown

        return t(self.key, lang, **self.params)


class InputError(XuequError, ValueError):
    """A file, row or field the user supplied cannot be used (parameters as :class:`XuequError`'s)."""


class OfflineError(XuequError, ConnectionError):
    """Something needed the internet and there is none (parameters as :class:`XuequError`'s)."""
