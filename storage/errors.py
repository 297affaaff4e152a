"""Errors of the storage layer that callers handle, named for what they mean to them."""

from __future__ import annotations

from sqlalchemy.exc import OperationalError

# The database is briefly away: restarting, locked past its busy timeout, a dropped connection.
# Trying the whole unit of work again after a pause may succeed.
DatabaseUnavailable = OperationalError

__all__ = ["DatabaseUnavailable"]
