"""The unit of work: one transaction, the repositories that work inside it, commit or roll back."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import TracebackType

from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

from storage.city_systems import CitySystems
from storage.coordination import JobRunRepository, LeadershipRepository
from storage.cursors import CursorRepository
from storage.reports import ReportRepository
from storage.repositories import (
    BornClaims,
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
    born_claimed,
    claim_at_birth,
    forget_rolled_back,
    insert_queued_outbox,
)
from storage.retention import RetentionRepository

# Outbox rows queued with OutboxRepository.add_later go in with one statement: before the
# session's next query (so what follows sees them, and ids keep the order they were queued in)
# or at the latest before its commit.
event.listen(Session, "do_orm_execute", lambda state: insert_queued_outbox(state.session))
event.listen(Session, "before_commit", lambda session: insert_queued_outbox(session, flush=True))
event.listen(Session, "after_soft_rollback", forget_rolled_back)


class UnitOfWork:
    def __init__(
        self, session_factory: sessionmaker[Session], born_claims: BornClaims | None = None
    ) -> None:
        self._session_factory = session_factory
        # The dispatcher in this process, if any: the outbox rows this unit of work queues for
        # it are born claimed and handed to it after the commit (storage.repositories).
        self._born_claims = born_claims
        self._after_commit: list[Callable[[], None]] = []

    def __enter__(self) -> UnitOfWork:
        self.session = self._session_factory()
        if self._born_claims is not None:
            claim_at_birth(self.session, self._born_claims)
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
        self.conversations.write_kept()
        self.session.commit()
        callbacks, self._after_commit = self._after_commit, []
        handed, claimable = born_claimed(self.session)
        if handed and self._born_claims is not None:
            self._born_claims.hand_over(handed)
            if not claimable:  # every row queued is handed over: none waits for a claim
                callbacks = [c for c in callbacks if c != self._born_claims.wake]
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
        # Rows queued before it go in before it: its rollback must not take them along.
        insert_queued_outbox(self.session, flush=True)
        # The turn's conversation is no object of the session: what the failed part changed of
        # it goes back by hand, as the session's own objects do.
        conversations = self.conversations.checkpoint()
        try:
            with self.session.begin_nested():
                yield
        except BaseException:
            self.conversations.restore(conversations)
            raise


UnitOfWorkFactory = Callable[[], UnitOfWork]
