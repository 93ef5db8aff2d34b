"""The audit entry point, handed to front ends that sit below :mod:`molaudit.api`.

The notebook input form (``molaudit.Panel()`` without a batch) runs :func:`molaudit.audit`,
but the panel is also what :meth:`molaudit.Batch.show` opens, so importing :mod:`molaudit.api`
from the form would close the cycle batch -> panel -> input form -> api -> batch. Instead
:mod:`molaudit.api` registers its ``audit`` here when it is imported (``import molaudit``
always imports it before any notebook module), and the form asks for it when it runs; a
caller can also pass its own ``audit`` callable to the form. This module imports nothing of
molaudit.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["audit_function", "register_audit"]

_AUDIT: Callable[..., Any] | None = None


def register_audit(fn: Callable[..., Any]) -> None:
    """Make ``fn`` the audit that front ends run (:mod:`molaudit.api` registers ``audit``)."""
    global _AUDIT
    _AUDIT = fn


def audit_function() -> Callable[..., Any]:
    """The registered audit callable.

    Raises
    ------
    RuntimeError
        Nothing registered: :mod:`molaudit.api` was never imported.
    """
    if _AUDIT is None:
        raise RuntimeError("no audit function is registered; import molaudit first")
    return _AUDIT
