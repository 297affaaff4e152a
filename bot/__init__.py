"""Quartierslotse: residents' concerns by chat, routed to the responsible department."""
