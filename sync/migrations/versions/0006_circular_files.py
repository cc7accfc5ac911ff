"""circular_files: the circular's files kept with each publication

A published year's circular was made again at every download, by whatever version of safeschool ran:
after an upgrade the bureau's "2026 circular" came out with the A-G points rounded otherwise and new
columns, though its totals, grades and ranks were the frozen ones (found by an audit).  From this
version the files are made once, when the year is published, and kept here; a publication made before
has none and its files are still made at each download.

LargeBinary with a length past 16 MB is LONGBLOB on MySQL/MariaDB (a plain BLOB holds 64 KB, less than
a county's Word circular); BYTEA on PostgreSQL, BLOB on SQLite.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 15:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('circular_files',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('publication_id', sa.Integer(), nullable=False),
    sa.Column('format', sa.String(length=10), nullable=False),
    sa.Column('language', sa.String(length=10), nullable=False),
    sa.Column('file_name', sa.String(length=100), nullable=False),
    sa.Column('content', sa.LargeBinary(length=2**32 - 1), nullable=False),
    sa.ForeignKeyConstraint(['publication_id'], ['publications.publication_id'],
                            name=op.f('fk_circular_files_publication_id_publications')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_circular_files')),
    sa.UniqueConstraint('publication_id', 'format', 'language',
                        name=op.f('uq_circular_files_publication_id_format_language'))
    )


def downgrade() -> None:
    op.drop_table('circular_files')
