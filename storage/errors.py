"""Errors of the storage layer that callers handle, named for what they mean to them."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError, OperationalError

# The database is briefly away: restarting, locked past its busy timeout, a dropped connection.
# Trying the whole unit of work again after a pause may succeed.
DatabaseUnavailable = OperationalError

# A unique key was taken in the same moment by another transaction (the same message from two
# instances, a new pseudonym drawn twice): the whole unit of work may be tried again.
KeyTaken = IntegrityError

__all__ = ["DatabaseUnavailable", "KeyTaken"]
