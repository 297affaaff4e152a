"""The city's configuration: a validated TOML file (see config.example.toml).

A bad file ends in one ConfigError that names the key and what is wrong; secrets may come from
environment variables instead of the file.
"""

from __future__ import annotations

import os
import stat
import tomllib
from collections.abc import Callable
from datetime import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SerializeAsAny,
    TypeAdapter,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from bot.channels import registry

REPO_ROOT = Path(__file__).resolve().parents[1]
EXAMPLE_CONFIG = REPO_ROOT / "config.example.toml"


class ConfigError(Exception):
    """The configuration cannot be used; str() is the message for the operator."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --- destinations: where a concern (or a staff notice) is delivered -------------------------


class BaseDestination(_Model):
    """A destination: `type` names the channel (bot.channels.registry) that declares its model."""

    type: str

    def address(self) -> str:
        """The address on its channel that the outbox delivers to."""
        raise NotImplementedError

    def acting_accounts(self) -> set[str]:
        """Accounts on this channel whose messages act for the destination's owner (e-mail
        replies of a department); none for a chat room, where staff write as themselves."""
        return set()


def _destination(value: Any) -> Any:
    """Validate a destination with the model its channel declares (chosen by `type`)."""
    if isinstance(value, BaseDestination) or not isinstance(value, dict):
        return value  # an instance already, or not a table: BaseDestination says what is wrong
    kind = value.get("type")
    if kind is None:
        error = InitErrorDetails(type="missing", loc=("type",), input=value)
        raise ValidationError.from_exception_data("destination", [error])
    info = registry.channel(kind) if isinstance(kind, str) else None
    if info is None or info.destination is None:
        known = ", ".join(c.name for c in registry.channels() if c.destination is not None)
        message = f"unknown destination type {kind!r} (known: {known})"
        error = InitErrorDetails(
            type=PydanticCustomError("value_error", message), loc=("type",), input=kind
        )
        raise ValidationError.from_exception_data("destination", [error])
    return info.destination.model_validate(value)


# One of the destination models the channels declare (console, telegram, matrix, email, open311).
Destination = Annotated[SerializeAsAny[BaseDestination], BeforeValidator(_destination)]


class EmailDestination(BaseDestination):
    type: Literal["email"]
    to: str
    # Who may answer a forward by e-mail for the department (besides `to` itself): replies from
    # other senders go to the admins, never into a status change.
    reply_from: list[str] = Field(default_factory=list)

    @field_validator("to")
    @classmethod
    def _address(cls, value: str) -> str:
        if "@" not in value or " " in value.strip():
            raise ValueError("must be an e-mail address")
        return value.strip()

    @field_validator("reply_from")
    @classmethod
    def _addresses(cls, value: list[str]) -> list[str]:
        for item in value:
            if "@" not in item or " " in item.strip():
                raise ValueError(f"{item!r} is not an e-mail address")
        return [item.strip().lower() for item in value]

    def address(self) -> str:
        return self.to

    def replying_addresses(self) -> set[str]:
        return {self.to.lower(), *self.reply_from}

    def acting_accounts(self) -> set[str]:
        return self.replying_addresses()


# What an Open311 endpoint's "closed" means, where its status_notes tell (see Open311Destination).
ClosedOutcome = Literal["fixed", "not_responsible", "duplicate", "rejected", "no_action"]


class Open311Destination(BaseDestination):
    type: Literal["open311"]
    endpoint: str
    api_key_env: str | None = None
    jurisdiction_id: str | None = None
    service_codes: dict[str, str] = Field(default_factory=dict)
    # GeoReport's "closed" covers fixed, rejected, duplicate and not responsible. Where a city's
    # system says which in its status_notes, map words (case-insensitive, first match wins) to
    # our end state; otherwise "closed" is told as closed by the department, with the
    # fixed-check question.
    closed_notes: dict[str, ClosedOutcome] = Field(default_factory=dict)

    def address(self) -> str:
        return self.endpoint


# --- the city's organisation ---------------------------------------------------------------


class CitySettings(_Model):
    name: str
    ticket_prefix: str = Field(pattern=r"^[A-Z]{1,6}$")
    timezone: str = "Europe/Berlin"
    default_language: Literal["de", "en"] = "de"

    @field_validator("timezone")
    @classmethod
    def _tz(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value


class Department(_Model):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    name: str
    categories: list[str] = Field(default_factory=list)
    destinations: list[Destination] = Field(default_factory=list)
    partner: bool = False  # an independent welfare organisation rather than a city department


class Quarter(_Model):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    name: str
    managers: list[str] = Field(default_factory=list)
    destinations: list[Destination] = Field(default_factory=list)
    center: tuple[float, float] | None = None  # lat, lon: a shared location finds its quarter
    radius_km: float = 1.5


class StaffAccounts(_Model):
    """A staff member's verified ids: `<channel> = id`, of the type the channel declares
    (bot.channels.registry: e.g. a Telegram user id is a number, a Matrix id a string)."""

    model_config = ConfigDict(extra="allow", frozen=True)

    @model_validator(mode="before")
    @classmethod
    def _per_channel(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data

        def account_of(info: registry.ChannelInfo) -> Callable[[Any], Any] | None:
            return None if info.account is None else TypeAdapter(info.account).validate_python

        return _per_channel(cls.__name__, data, account_of)

    def items(self) -> list[tuple[str, str]]:
        """(channel, account id as the channel's Incoming.sender has it) for each account."""
        return [(name, str(v)) for name, v in (self.model_extra or {}).items() if v is not None]

    if TYPE_CHECKING:

        def __getattr__(self, name: str) -> Any: ...


class StaffMember(_Model):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]*$")
    name: str
    role: Literal["staff", "admin"] = "staff"
    departments: list[str] = Field(default_factory=list)
    accounts: StaffAccounts = Field(default_factory=StaffAccounts)
    # Languages a quarter manager speaks beside German (e.g. ["tr", "ar"]): concerns written in
    # one of them get a copy to the rooms of the quarters this person manages.
    languages: list[str] = Field(default_factory=list)


class Admins(_Model):
    """The admins' triage room: concerns whose category no department handles land here."""

    destinations: list[Destination] = Field(default_factory=list)


# --- channels -------------------------------------------------------------------------------


class ChannelSettings(_Model):
    """A `[channels.<name>]` section: each channel's settings class (bot.channels.registry)
    extends this one."""

    enabled: bool = False


class ChannelSections(_Model):
    """`[channels]`: a section per known channel, validated by the settings class the channel
    declares; a channel without a section has its defaults. `settings.channels.telegram`."""

    model_config = ConfigDict(extra="allow", frozen=True)

    @model_validator(mode="before")
    @classmethod
    def _per_channel(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data

        def section_of(info: registry.ChannelInfo) -> Callable[[Any], Any] | None:
            settings = info.settings
            if settings is None:
                return None
            return lambda given: (
                given if isinstance(given, settings) else settings.model_validate(given)
            )

        sections = _per_channel(cls.__name__, data, section_of)
        for info in registry.channels():
            if info.settings is not None and info.name not in sections:
                sections[info.name] = info.settings()
        return sections

    def section(self, name: str) -> ChannelSettings | None:
        """The channel's section; None for a channel registered after this config was read."""
        section = (self.model_extra or {}).get(name)
        return section if isinstance(section, ChannelSettings) else None

    def enabled(self, name: str) -> bool:
        section = self.section(name)
        return section is not None and section.enabled

    if TYPE_CHECKING:

        def __getattr__(self, name: str) -> Any: ...


def _per_channel(
    model: str,
    data: dict[str, Any],
    validator: Callable[[registry.ChannelInfo], Callable[[Any], Any] | None],
) -> dict[str, Any]:
    """Each `<channel> = value` validated by what its channel declares (`validator` picks it;
    None: the channel declares nothing of the kind). An unknown channel, or a value its
    validator refuses, is an error located under the channel's name."""
    values: dict[str, Any] = {}
    errors: list[InitErrorDetails] = []
    for name, given in data.items():
        info = registry.channel(name)
        validate = None if info is None else validator(info)
        if validate is None:
            errors.append(_unknown_key(name, given))
            continue
        try:
            values[name] = validate(given)
        except ValidationError as error:
            errors += _nested(name, error)
    if errors:
        raise ValidationError.from_exception_data(model, errors)
    return values


def _unknown_key(name: str, given: Any) -> InitErrorDetails:
    return InitErrorDetails(type="extra_forbidden", loc=(name,), input=given)


def _nested(name: str, error: ValidationError) -> list[InitErrorDetails]:
    """A section's errors, located under its name."""
    return [
        InitErrorDetails(
            type=PydanticCustomError(item["type"], item["msg"]),
            loc=(name, *item["loc"]),
            input=item["input"],
        )
        for item in error.errors()
    ]


# --- operations -------------------------------------------------------------------------------


class DatabaseSettings(_Model):
    url: str = "sqlite:///data/lotse.sqlite3"
    url_env: str = "LOTSE_DATABASE_URL"

    def resolved_url(self) -> str:
        return os.environ.get(self.url_env) or self.url


class QuietHours(_Model):
    start: time = time(21, 0)
    end: time = time(8, 0)


class ScheduleSettings(_Model):
    quiet_hours: QuietHours = QuietHours()
    still_working_after_days: int = Field(default=14, ge=1)
    escalate_after_days: int = Field(default=7, ge=1)
    fixed_check_after_days: int = Field(default=5, ge=1)
    digest_cron: str = "0 8 * * mon"
    intake_expires_hours: int = Field(default=24, ge=1)
    # Per category id or department id: days without a visible update before "still working".
    still_working_overrides: dict[str, int] = Field(default_factory=dict)
    status_jobs_minutes: float = Field(default=15, gt=0)  # how often due replies are looked for

    @field_validator("digest_cron")
    @classmethod
    def _cron(cls, value: str) -> str:
        from apscheduler.triggers.cron import CronTrigger

        try:
            CronTrigger.from_crontab(value)
        except ValueError as exc:
            raise ValueError(f"not a crontab expression ({exc})") from None
        return value

    @field_validator("still_working_overrides")
    @classmethod
    def _positive(cls, value: dict[str, int]) -> dict[str, int]:
        for key, days in value.items():
            if days < 1:
                raise ValueError(f"{key}: days must be at least 1")
        return value

    def still_working_days(self, category: str, department_id: str | None) -> int:
        overrides = self.still_working_overrides
        if category in overrides:
            return overrides[category]
        if department_id and department_id in overrides:
            return overrides[department_id]
        return self.still_working_after_days


class OutboxSettings(_Model):
    max_attempts: int = Field(default=12, ge=1)
    backoff_base_seconds: float = Field(default=2.0, gt=0)
    backoff_max_seconds: float = Field(default=1800.0, gt=0)
    poll_seconds: float = Field(default=5.0, gt=0)


class InstanceSettings(_Model):
    """Running processes prove they are alive; the claims of one that stops are taken over."""

    heartbeat_seconds: float = Field(default=2.0, gt=0)
    stale_seconds: float = Field(default=10.0, gt=0)
    # Where each process records the sends that returned before marking them in the database
    # (so a restart on the same host does not repeat them); None: no journal.
    journal_dir: str | None = "data/outbox-journal"

    @model_validator(mode="after")
    def _beats_before_stale(self) -> InstanceSettings:
        if self.stale_seconds <= 2 * self.heartbeat_seconds:
            raise ValueError("instances.stale_seconds must be more than two heartbeats")
        return self


class NlpSettings(_Model):
    model_dir: str | None = None  # None: the pipeline shipped with the package
    gazetteer: str | None = None


class DuplicateSettings(_Model):
    enabled: bool = True
    distance_m: float = Field(default=150.0, gt=0)
    max_age_days: int = Field(default=60, ge=1)
    min_similarity: float = Field(default=0.35, ge=0, le=2)


class ConversationSettings(_Model):
    """How the dialogue reads messages that are not answers to its question."""

    follow_up_minutes: int = Field(default=30, ge=0)  # detail/photo/place then joins the ticket
    own_repeat_hours: int = Field(default=24, ge=0)  # own open concerns a new one is matched to
    intent_min_score: float = Field(default=0.6, ge=0, le=1)  # below: read as a concern


class EmailSettings(_Model):
    """The SMTP server that e-mail destinations are sent through."""

    host: str = "localhost"
    port: int = Field(default=587, ge=1, le=65535)
    security: Literal["starttls", "ssl", "none"] = "starttls"
    username: str | None = None
    password_env: str = "LOTSE_SMTP_PASSWORD"
    sender: str = "quartierslotse@localhost"
    timeout_seconds: float = Field(default=30.0, gt=0)


class Open311Settings(_Model):
    poll_minutes: int = Field(default=30, ge=1)  # how often status updates are fetched back
    timeout_seconds: float = Field(default=20.0, gt=0)


class EmailRepliesSettings(_Model):
    """The IMAP mailbox where departments' replies to forwarded concerns arrive."""

    enabled: bool = False
    host: str = "localhost"
    port: int = Field(default=993, ge=1, le=65535)
    security: Literal["ssl", "starttls", "none"] = "ssl"
    username: str = "quartierslotse"
    password_env: str = "LOTSE_IMAP_PASSWORD"
    mailbox: str = "INBOX"
    poll_seconds: float = Field(default=60.0, gt=0)
    timeout_seconds: float = Field(default=30.0, gt=0)


class PublicApiSettings(_Model):
    """The public, read-only GeoReport v2 API and the photos' public URLs (one listener)."""

    enabled: bool = False
    listen: str = "127.0.0.1"
    port: int = Field(default=9465, ge=0, le=65535)  # 0: any free port (tests)
    # How the outside world reaches this listener (a reverse proxy's https URL); photo URLs
    # (media_url) are built from it. Default: http://listen:port.
    public_base_url: str | None = None
    jurisdiction_id: str | None = None  # when set, requests naming another one get 404
    page_size: int = Field(default=200, ge=1, le=1000)  # requests per page at most
    default_days: int = Field(default=90, ge=1)  # the spec's default window without dates

    def base_url(self, port: int | None = None) -> str:
        if self.public_base_url:
            return self.public_base_url.rstrip("/")
        return f"http://{self.listen}:{port or self.port}"


class LimitsSettings(_Model):
    """Flood control per resident."""

    messages_per_minute: int = Field(default=20, ge=1)
    new_concerns_per_hour: int = Field(default=5, ge=1)


class PrivacySettings(_Model):
    retention_days: int = Field(default=365, ge=1)  # then done concerns are anonymised


class OperationsSettings(_Model):
    """The health and metrics endpoint of `lotse run`, and the log format."""

    enabled: bool = True
    listen: str = "127.0.0.1"
    port: int = Field(default=9464, ge=0, le=65535)  # 0: any free port (tests)
    log_format: Literal["text", "json"] = "text"


class RouteRule(_Model):
    """category (in a quarter) → department, before the departments' own category lists."""

    category: str
    quarter: str | None = None
    department: str


class Settings(_Model):
    city: CitySettings
    database: DatabaseSettings = DatabaseSettings()
    nlp: NlpSettings = NlpSettings()
    schedule: ScheduleSettings = ScheduleSettings()
    outbox: OutboxSettings = OutboxSettings()
    instances: InstanceSettings = InstanceSettings()
    channels: ChannelSections = Field(default_factory=ChannelSections)
    departments: list[Department]
    quarters: list[Quarter] = Field(default_factory=list)
    staff: list[StaffMember] = Field(default_factory=list)
    admins: Admins = Admins()
    routes: list[RouteRule] = Field(default_factory=list)
    duplicates: DuplicateSettings = DuplicateSettings()
    conversation: ConversationSettings = ConversationSettings()
    limits: LimitsSettings = LimitsSettings()
    privacy: PrivacySettings = PrivacySettings()
    email: EmailSettings = EmailSettings()
    open311: Open311Settings = Open311Settings()
    operations: OperationsSettings = OperationsSettings()
    email_replies: EmailRepliesSettings = EmailRepliesSettings()
    public_api: PublicApiSettings = PublicApiSettings()

    def destination_owners(self) -> list[Department | Quarter | Admins]:
        """Everyone who has destinations: the departments, the quarters and the admins."""
        return [*self.departments, *self.quarters, self.admins]

    @model_validator(mode="after")
    def _cross_references(self) -> Settings:
        from nlp import load_taxonomy

        category_ids = {c.id for c in load_taxonomy()}
        department_ids = _unique([d.id for d in self.departments], "departments")
        staff_ids = _unique([s.id for s in self.staff], "staff")
        _unique([q.id for q in self.quarters], "quarters")
        handled: dict[str, str] = {}
        for i, dept in enumerate(self.departments):
            for j, cat in enumerate(dept.categories):
                where = f"departments[{i}].categories[{j}]"
                if cat not in category_ids:
                    raise ValueError(f"{where}: {cat!r} is not a category id of the taxonomy")
                if cat in handled:
                    raise ValueError(f"{where}: {cat!r} is already handled by {handled[cat]!r}")
                handled[cat] = dept.id
        quarter_ids = {q.id for q in self.quarters}
        for i, rule in enumerate(self.routes):
            if rule.category not in category_ids:
                raise ValueError(f"routes[{i}].category: {rule.category!r} is not a category id")
            if rule.department not in department_ids:
                raise ValueError(f"routes[{i}].department: no department {rule.department!r}")
            if rule.quarter is not None and rule.quarter not in quarter_ids:
                raise ValueError(f"routes[{i}].quarter: no quarter {rule.quarter!r}")
        for i, member in enumerate(self.staff):
            for j, dept_id in enumerate(member.departments):
                if dept_id not in department_ids:
                    raise ValueError(f"staff[{i}].departments[{j}]: no department {dept_id!r}")
        for i, quarter in enumerate(self.quarters):
            for j, manager in enumerate(quarter.managers):
                if manager not in staff_ids:
                    raise ValueError(f"quarters[{i}].managers[{j}]: no staff member {manager!r}")
        return self


def _unique(ids: list[str], key: str) -> set[str]:
    seen: set[str] = set()
    for i, item in enumerate(ids):
        if item in seen:
            raise ValueError(f"{key}[{i}].id: {item!r} is used twice")
        seen.add(item)
    return seen


def _describe(error: ValidationError) -> str:
    lines = []
    for item in error.errors():
        key = ".".join(str(p) if isinstance(p, str) else f"[{p}]" for p in item["loc"])
        key = key.replace(".[", "[")
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            message = "unknown key (misspelt?)"
        elif item["type"] == "missing":
            message = "is required but missing"
        lines.append(f"{key}: {message}" if key else message)
    return "; ".join(lines)


def load_settings(path: Path | str | None = None) -> Settings:
    """Read and validate a config file; without a path, the example config (embedded defaults)."""
    config_path = Path(path) if path else EXAMPLE_CONFIG
    try:
        raw = config_path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read config file {config_path}: {exc.strerror}") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{config_path} is not valid TOML: {exc}") from None
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"{config_path}: {_describe(exc)}") from None


def world_readable(path: Path | str) -> bool:
    """True when others may read a config file that may hold secrets."""
    try:
        return bool(Path(path).stat().st_mode & stat.S_IROTH)
    except OSError:
        return False
