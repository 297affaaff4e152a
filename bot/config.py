"""The city's configuration: a validated TOML file (see config.example.toml).

A bad file ends in one ConfigError that names the key and what is wrong; secrets may come from
environment variables instead of the file.
"""

from __future__ import annotations

import os
import stat
import tomllib
from datetime import time
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

REPO_ROOT = Path(__file__).resolve().parents[1]
EXAMPLE_CONFIG = REPO_ROOT / "config.example.toml"


class ConfigError(Exception):
    """The configuration cannot be used; str() is the message for the operator."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --- destinations: where a concern (or a staff notice) is delivered -------------------------


class ConsoleDestination(_Model):
    type: Literal["console"]
    room: str


class TelegramDestination(_Model):
    type: Literal["telegram"]
    chat_id: int


class MatrixDestination(_Model):
    type: Literal["matrix"]
    room_id: str

    @field_validator("room_id")
    @classmethod
    def _room_id(cls, value: str) -> str:
        # Room ids are "!opaque:server", or just "!opaque" since room version 12.
        if not (value.startswith("!") and len(value) > 1) and not (
            value.startswith("#") and ":" in value
        ):
            raise ValueError("must look like !roomid[:server] or #alias:server")
        return value


class EmailDestination(_Model):
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

    def replying_addresses(self) -> set[str]:
        return {self.to.lower(), *self.reply_from}


# What an Open311 endpoint's "closed" means, where its status_notes tell (see Open311Destination).
ClosedOutcome = Literal["fixed", "not_responsible", "duplicate", "rejected", "no_action"]


class Open311Destination(_Model):
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


Destination = Annotated[
    ConsoleDestination
    | TelegramDestination
    | MatrixDestination
    | EmailDestination
    | Open311Destination,
    Field(discriminator="type"),
]

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
    console: str | None = None
    telegram: int | None = None
    matrix: str | None = None


class StaffMember(_Model):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]*$")
    name: str
    role: Literal["staff", "admin"] = "staff"
    departments: list[str] = Field(default_factory=list)
    accounts: StaffAccounts = StaffAccounts()
    # Languages a quarter manager speaks beside German (e.g. ["tr", "ar"]): concerns written in
    # one of them get a copy to the rooms of the quarters this person manages.
    languages: list[str] = Field(default_factory=list)


class Admins(_Model):
    """The admins' triage room: concerns whose category no department handles land here."""

    destinations: list[Destination] = Field(default_factory=list)


# --- channels -------------------------------------------------------------------------------


class ConsoleChannel(_Model):
    enabled: bool = True
    resident: str = "console-resident"


class TelegramChannel(_Model):
    enabled: bool = False
    token: str | None = None
    token_env: str = "LOTSE_TELEGRAM_TOKEN"
    base_url: str = "https://api.telegram.org/bot"
    base_file_url: str = "https://api.telegram.org/file/bot"
    mode: Literal["polling", "webhook"] = "polling"
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = 8443
    webhook_path: str = "/telegram"
    webhook_url: str | None = None
    webhook_secret_env: str = "LOTSE_TELEGRAM_WEBHOOK_SECRET"
    poll_timeout: int = Field(default=30, ge=0, le=50)  # seconds a long poll is held open
    request_timeout: float = Field(default=15.0, gt=0)  # seconds for any other Bot API call

    @model_validator(mode="after")
    def _webhook_needs_url(self) -> TelegramChannel:
        if self.enabled and self.mode == "webhook" and not self.webhook_url:
            raise ValueError("mode = 'webhook' needs webhook_url (the public https URL)")
        return self

    def resolved_token(self) -> str | None:
        return self.token or os.environ.get(self.token_env)


class MatrixChannel(_Model):
    enabled: bool = False
    homeserver: str = "https://matrix.example.org"
    user_id: str = "@lotse:example.org"
    device_id: str = "QUARTIERSLOTSE"
    password_env: str = "LOTSE_MATRIX_PASSWORD"
    access_token_env: str = "LOTSE_MATRIX_ACCESS_TOKEN"
    # Device keys for encrypted rooms; keep the directory across restarts.
    store_path: str = "data/matrix-store"
    invite_policy: Literal["anyone", "listed_homeservers"] = "anyone"
    allowed_homeservers: list[str] = Field(default_factory=list)


class Channels(_Model):
    console: ConsoleChannel = ConsoleChannel()
    telegram: TelegramChannel = TelegramChannel()
    matrix: MatrixChannel = MatrixChannel()


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
        from apscheduler.triggers.cron import CronTrigger  # type: ignore[import-untyped]

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
    channels: Channels = Channels()
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
