"""Persistence: SQLAlchemy models, unit of work and Alembic migrations."""
