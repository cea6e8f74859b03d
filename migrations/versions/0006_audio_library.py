"""the audio library

Revision ID: 0006
Revises: 0005
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audio_file",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("instance_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["instance_id"], ["instance.id"], ondelete="CASCADE",
                                name=op.f("fk_audio_file_instance_id_instance")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audio_file")),
        sa.UniqueConstraint("instance_id", "name", name=op.f("uq_audio_file_instance_id_name")),
    )


def downgrade() -> None:
    op.drop_table("audio_file")
