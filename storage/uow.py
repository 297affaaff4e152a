"""The unit of work: one transaction, the repositories that work inside it, commit or roll back."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import Generic, TypeVar, overload

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


R = TypeVar("R")


class _Repository(Generic[R]):
    """A repository of the unit of work, made on first use in it (a turn uses a few of them)."""

    def __init__(self, make: Callable[[Session], R]) -> None:
        self._make = make

    def __set_name__(self, owner: type, name: str) -> None:
        self._name = name

    @overload
    def __get__(self, uow: None, owner: type) -> _Repository[R]: ...

    @overload
    def __get__(self, uow: UnitOfWork, owner: type) -> R: ...

    def __get__(self, uow: UnitOfWork | None, owner: type) -> R | _Repository[R]:
        if uow is None:
            return self
        made = self._make(uow.session)
        uow.__dict__[self._name] = made  # found there from now on, before this descriptor
        return made


class UnitOfWork:
    residents = _Repository(ResidentRepository)
    concerns = _Repository(ConcernRepository)
    conversations = _Repository(ConversationRepository)
    outbox = _Repository(OutboxRepository)
    log = _Repository(LogRepository)
    jobs = _Repository(JobRepository)
    instances = _Repository(InstanceRepository)
    subscriptions = _Repository(SubscriptionRepository)
    cursors = _Repository(CursorRepository)
    erasure = _Repository(ErasureRepository)
    personal_data = _Repository(PersonalDataRepository)
    delivery_watch = _Repository(DeliveryWatchRepository)
    city = _Repository(CitySystems)
    reports = _Repository(ReportRepository)
    retention = _Repository(RetentionRepository)
    leadership = _Repository(LeadershipRepository)
    job_runs = _Repository(JobRunRepository)

    def __init__(
        self, session_factory: sessionmaker[Session], born_claims: BornClaims | None = None
    ) -> None:
        self._session_factory = session_factory
        # The dispatcher in this process, if any: the outbox rows this unit of work queues for
        # it are born claimed and handed to it after the commit (storage.repositories).
        self._born_claims = born_claims
        self._after_commit: list[Callable[[], None]] = []

    def __enter__(self) -> UnitOfWork:
        for name in _REPOSITORIES:
            self.__dict__.pop(name, None)  # entered again: a new session, new repositories
        self.session = self._session_factory()
        if self._born_claims is not None:
            claim_at_birth(self.session, self._born_claims)
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


_REPOSITORIES = tuple(k for k, v in vars(UnitOfWork).items() if isinstance(v, _Repository))

UnitOfWorkFactory = Callable[[], UnitOfWork]
