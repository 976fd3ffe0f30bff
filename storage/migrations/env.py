"""Alembic environment: runs on the connection `storage.db.upgrade` hands in, or on sqlalchemy.url."""

from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from alembic.runtime.migration import MigrationContext
from sqlalchemy import VARCHAR, Column, Connection, String, engine_from_config, pool
from sqlalchemy.types import TypeEngine

from storage.models import Base, UTCDateTime

config = context.config
target_metadata = Base.metadata


def _render_item(type_: str, obj: Any, autogen_context: AutogenContext) -> str | Literal[False]:
    """Render our TypeDecorators as plain SQLAlchemy types: migrations must not import live models."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _compare_type(context: MigrationContext, inspected_column: Column[Any], metadata_column: Column[Any],
                  inspected_type: TypeEngine[Any], metadata_type: TypeEngine[Any]) -> bool | None:
    """SQLite does not enforce VARCHAR lengths (the edge checks them, from storage.models), so a String
    column whose length changed is no change there: widening one would rebuild the table for nothing."""
    if (context.dialect.name == "sqlite" and isinstance(inspected_type, String)
            and type(metadata_type) is String and type(inspected_type) in (String, VARCHAR)):
        return False
    return None  # the default comparison


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,
        compare_type=_compare_type,
        render_item=_render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = engine_from_config(config.get_section(config.config_ini_section, {}), prefix="sqlalchemy.",
                                poolclass=pool.NullPool)
    with engine.begin() as conn:
        _run(conn)


if context.is_offline_mode():
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata,
                      literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    run_migrations_online()
