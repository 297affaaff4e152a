"""The unit of work: one transaction, the repositories that work inside it, commit or roll back."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import TracebackType

from sqlalchemy.orm import Session, sessionmaker

from storage.city_systems import CitySystems
from storage.coordination import JobRunRepository, LeadershipRepository
from storage.cursors import CursorRepository
from storage.reports import ReportRepository
from storage.repositories import (
    ConcernRepository,
    ConversationRepository,
    DeliveryWatchRepository,
    ErasureRepository,
    InstanceRepository,
    JobRepository,
    LogRepository,
    OutboxRepository,
    PersonalDataRepository,
    ResidentRepository,
    SubscriptionRepository,
)
from storage.retention import RetentionRepository


class UnitOfWork:
    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._session_factory = session_factory
        self._after_commit: list[Callable[[], None]] = []

    def __enter__(self) -> UnitOfWork:
        self.session = self._session_factory()
        self.residents = ResidentRepository(self.session)
        self.concerns = ConcernRepository(self.session)
        self.conversations = ConversationRepository(self.session)
        self.outbox = OutboxRepository(self.session)
        self.log = LogRepository(self.session)
        self.jobs = JobRepository(self.session)
        self.instances = InstanceRepository(self.session)
        self.subscriptions = SubscriptionRepository(self.session)
        self.cursors = CursorRepository(self.session)
        self.erasure = ErasureRepository(self.session)
        self.personal_data = PersonalDataRepository(self.session)
        self.delivery_watch = DeliveryWatchRepository(self.session)
        self.city = CitySystems(self.session)
        self.reports = ReportRepository(self.session)
        self.retention = RetentionRepository(self.session)
        self.leadership = LeadershipRepository(self.session)
        self.job_runs = JobRunRepository(self.session)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            self.session.rollback()  # a no-op after commit; undoes an unfinished unit of work
        finally:
            self.session.close()

    def commit(self) -> None:
        self.session.commit()
        callbacks, self._after_commit = self._after_commit, []
        for callback in callbacks:
            callback()

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Run `callback` once this unit of work has committed (e.g. wake the dispatcher)."""
        self._after_commit.append(callback)

    def flush(self) -> None:
        """Write what is pending so that ids and relationships exist before the commit."""
        self.session.flush()

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """A nested transaction: an error inside undoes only what was done inside."""
        with self.session.begin_nested():
            yield


UnitOfWorkFactory = Callable[[], UnitOfWork]
