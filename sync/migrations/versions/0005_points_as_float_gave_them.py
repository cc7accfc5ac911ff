"""points and totals 0004 retyped read again as their FLOAT columns gave them

0004 made the points and totals DOUBLE on MySQL/MariaDB, and MariaDB carries each single-precision value
over as its exact binary value: a published total of 87.8 came back 87.80000305175781, printed so in the
circular, the JSON and the dashboard, and a deduction of 0.3 as 0.30000001192092896 (found by the
deployment audit, upgrading a 0003 store).  Each value that is exactly a single-precision one becomes the
shortest decimal that single precision holds as it (87.8, 0.3), which is what the store gave before;
a double the scoring wrote since 0004 is no single-precision value and stays (86.24999999999999), and one
that is (86.25) is its own shortest decimal.  Written as a migration after 0004, not into it, so that a
store already upgraded by 0004 is mended too.  PostgreSQL and SQLite always kept doubles: nothing to do.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 12:40:00
"""
import struct

from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

_COLUMNS = (('inspections', 'deduction'), ('inspections', 'assessed_points'),
            ('scores', 'total'), ('scores', 'deduction'))


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name not in ('mysql', 'mariadb'):
        return
    for table, column in _COLUMNS:
        values = [row[0] for row in bind.exec_driver_sql(
            f'SELECT DISTINCT `{column}` FROM `{table}` WHERE `{column}` IS NOT NULL')]
        changes = [{'was': value, 'now': shortest_single(value)} for value in values]
        changes = [change for change in changes if change['now'] != change['was']]
        if changes:  # by value, not by row: a county's scores hold a few thousand totals over many rows
            bind.execute(sa.text(f'UPDATE `{table}` SET `{column}` = :now WHERE `{column}` = :was'), changes)


def downgrade() -> None:
    pass  # 0004's downgrade makes them FLOAT again, which holds these values as it held them before


def shortest_single(value: float) -> float:
    """The shortest decimal single precision holds as `value` (87.8 for 87.80000305175781), or `value`
    itself when it is no single-precision value (a double the scoring wrote)."""
    value = float(value)
    try:
        if _single(value) != value:
            return value
    except OverflowError:
        return value
    for digits in range(1, 10):  # nine significant digits tell every single-precision value apart
        text = f'{value:.{digits}g}'
        if _single(float(text)) == value:
            return float(text)
    return value


def _single(value: float) -> float:
    return struct.unpack('<f', struct.pack('<f', value))[0]
