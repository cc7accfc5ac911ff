"""scores.computed_at's index, for stores made before the first migration was given it

The index was added to 0001 after stores had been made with it (an audit upgraded one made by 3eb4f0f:
all its data kept, the index missing for good, as alembic took the store for current).  Stores made
since have it from 0001; this adds it where it is missing.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 22:40:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    indexes = {index["name"] for index in sa.inspect(op.get_bind()).get_indexes('scores')}
    if 'ix_scores_computed_at' not in indexes:
        with op.batch_alter_table('scores', schema=None) as batch_op:
            batch_op.create_index('ix_scores_computed_at', ['computed_at'], unique=False)


def downgrade() -> None:
    pass  # 0001 makes the index in every store made since: taking it away here would differ by history
