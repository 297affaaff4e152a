"""Who is who and what goes where, derived once from the validated config."""

from __future__ import annotations

import math
from dataclasses import dataclass

from bot.config import Admins, BaseDestination, Department, Quarter, Settings, StaffMember


@dataclass(frozen=True)
class Address:
    """A place the dispatcher can deliver to: a channel and an address on it."""

    channel: str
    address: str

    @property
    def key(self) -> str:
        return f"{self.channel}:{self.address}"


def destination_address(destination: BaseDestination) -> Address:
    """A destination's type names its channel; the destination forms its address there."""
    return Address(destination.type, destination.address())


class Directory:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.departments = {d.id: d for d in settings.departments}
        self.quarters = {q.id: q for q in settings.quarters}
        self.staff = {s.id: s for s in settings.staff}
        self._by_category = {cat: d for d in settings.departments for cat in d.categories}
        self._accounts: dict[tuple[str, str], StaffMember] = {}
        for member in settings.staff:
            for channel, account in member.accounts.items():
                self._accounts[(channel, account)] = member
        # A department reached by e-mail answers by replying (bot.destinations.email_replies):
        # its configured addresses act as staff of that department, through the same commands.
        for dept in settings.departments:
            for dest in dept.destinations:
                for account in dest.acting_accounts():
                    key = (dest.type, account)
                    known = self._accounts.get(key)
                    self._accounts[key] = StaffMember(
                        id=known.id if known else f"{dest.type}.{dept.id}",
                        name=known.name if known else dept.name,
                        departments=[*(known.departments if known else []), dept.id],
                    )
        owners: list[Department | Quarter | Admins] = [
            *settings.departments,
            *settings.quarters,
            settings.admins,
        ]
        self.staff_rooms = {destination_address(d) for owner in owners for d in owner.destinations}

    def staff_member(self, channel: str, sender: str) -> StaffMember | None:
        """Staff identity comes only from the channel's verified sender id."""
        return self._accounts.get((channel, sender))

    def department_for(self, category: str, quarter_id: str | None = None) -> Department | None:
        """The routing table: a rule for this category (in this quarter) first, then the
        department that lists the category; None sends it to the admins' triage."""
        for rule in self.settings.routes:
            if rule.category == category and rule.quarter in (None, quarter_id):
                return self.departments[rule.department]
        return self._by_category.get(category)

    def managed_quarters(self, member: StaffMember) -> list[str]:
        return [q.id for q in self.settings.quarters if member.id in q.managers]

    def quarter_at(self, lat: float, lon: float) -> Quarter | None:
        """The quarter whose centre is nearest, if within its radius (an approximation)."""
        best: tuple[float, Quarter] | None = None
        for quarter in self.settings.quarters:
            if quarter.center is None:
                continue
            distance = _km(lat, lon, *quarter.center)
            if distance <= quarter.radius_km and (best is None or distance < best[0]):
                best = (distance, quarter)
        return best[1] if best else None

    def forward_targets(self, department_id: str | None, quarter_id: str | None) -> list[Address]:
        """Where a concern goes: its department (or the admins' triage) and its quarter's rooms."""
        department = self.departments.get(department_id) if department_id else None
        owners: list[Department | Quarter | Admins] = (
            [department] if department and department.destinations else [self.settings.admins]
        )
        quarter = self.quarters.get(quarter_id) if quarter_id else None
        if quarter is not None:
            owners.append(quarter)
        targets: list[Address] = []
        for owner in owners:
            for dest in owner.destinations:
                address = destination_address(dest)
                if address not in targets:
                    targets.append(address)
        return targets

    def language_copies(self, language: str | None, already: list[Address]) -> list[Address]:
        """The rooms of quarters whose managers speak `language`, beyond `already`: they can
        help a resident who writes in it, wherever the concern is."""
        if not language:
            return []
        copies: list[Address] = []
        for quarter in self.settings.quarters:
            speakers = [m for m in quarter.managers if language in self._languages_of(m)]
            for dest in quarter.destinations if speakers else ():
                address = destination_address(dest)
                if address not in already and address not in copies:
                    copies.append(address)
        return copies

    def _languages_of(self, staff_id: str) -> list[str]:
        member = self.staff.get(staff_id)
        return member.languages if member else []

    def admin_addresses(self) -> list[Address]:
        return [destination_address(d) for d in self.settings.admins.destinations]


def _km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 6371.0 * 2 * math.asin(math.sqrt(a))
