"""points and totals as double precision on MySQL/MariaDB

SQLAlchemy's Float is FLOAT there, single precision: a deduction of 1234.567 came back 1234.57 and an
unrounded total of 86.2499999 as 86.25, which rounds (halves up) to 86.3 where the scoring said 86.2
(found by an audit).  PostgreSQL's FLOAT and SQLite's REAL already hold doubles: nothing changes there.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 11:10:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

_COLUMNS = (('inspections', 'deduction', '扣分'), ('inspections', 'assessed_points', '考評得分'),
            ('scores', 'total', None), ('scores', 'deduction', None))


def upgrade() -> None:
    _retype(sa.Double(), sa.Float())


def downgrade() -> None:
    _retype(sa.Float(), sa.Double())


def _retype(to, was) -> None:
    if op.get_bind().dialect.name not in ('mysql', 'mariadb'):
        return
    for table, column, comment in _COLUMNS:
        # MySQL's MODIFY restates the whole column: its comment too, or it is lost.
        op.alter_column(table, column, type_=to, existing_type=was, existing_nullable=True,
                        comment=comment, existing_comment=comment)
