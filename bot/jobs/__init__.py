"""Periodic work: status replies and reminders (status.py), weekly digests (digests.py).

Every job derives what is due from the database and claims each piece of work with a JobMark
row (unique per job and key) in the same transaction as the messages it queues, so a restart,
a rerun or two overlapping runs never send twice and never skip. Job functions take the clock
from Services, so tests call them directly with a FakeClock.
"""
