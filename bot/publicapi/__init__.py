"""The public, read-only GeoReport v2 API (Open311) and the photos' public URLs.

A city portal or open-data site reads the concerns from here as it would from FixMyStreet or
Mark-a-Spot. Personal data never leaves: no pseudonyms, chat ids or staff notes; hidden concerns
are left out; e-mail addresses and phone numbers in texts are masked.
"""
