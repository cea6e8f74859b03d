"""supplier portal (agreement, offer, platform users), enterprise qualifications and
third-party line applications, uploaded documents

Revision ID: 0025
Revises: 0019
"""
from alembic import op
import sqlalchemy as sa


revision = '0025'
down_revision = '0022'
branch_labels = None
depends_on = None


def _history(table: str, parent: str, column: str) -> None:
    op.create_table(
        table,
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column(column, sa.Integer(), nullable=False),
        sa.Column('action', sa.String(length=16), nullable=False),
        sa.Column('actor', sa.String(length=64), nullable=False),
        sa.Column('remark', sa.Text(), nullable=True),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint([column], [f'{parent}.id'],
                                name=op.f(f'fk_{table}_{column}_{parent}'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f(f'pk_{table}')),
    )
    op.create_index(op.f(f'ix_{table}_{column}'), table, [column])


def upgrade() -> None:
    op.create_table(
        'document',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('media_type', sa.String(length=32), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('content', sa.LargeBinary(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_document')),
    )
    with op.batch_alter_table('supplier') as batch:
        batch.add_column(sa.Column('number_types', sa.JSON(), server_default='[]',
                                   nullable=False))
        batch.add_column(sa.Column('barred_industries', sa.JSON(), server_default='[]',
                                   nullable=False))
        batch.add_column(sa.Column('virtual_mobile_batch', sa.Integer(), server_default='5',
                                   nullable=False))
        batch.add_column(sa.Column('virtual_mobile_concurrency', sa.Integer(),
                                   server_default='3', nullable=False))
    op.create_table(
        'supplier_agreement',
        sa.Column('supplier_id', sa.Integer(), nullable=False),
        sa.Column('company_name', sa.String(length=128), nullable=False),
        sa.Column('usage_scenarios', sa.Text(), nullable=False),
        sa.Column('restrictions', sa.Text(), nullable=False),
        sa.Column('price_description', sa.Text(), nullable=False),
        sa.Column('file_id', sa.Integer(), nullable=True),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['supplier_id'], ['supplier.id'],
                                name=op.f('fk_supplier_agreement_supplier_id_supplier'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['file_id'], ['document.id'],
                                name=op.f('fk_supplier_agreement_file_id_document'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('supplier_id', name=op.f('pk_supplier_agreement')),
    )
    # Platform users (reviewers, suppliers' staff) belong to no account.
    with op.batch_alter_table('user') as batch:
        batch.alter_column('account_id', existing_type=sa.Integer(), nullable=True)
        batch.add_column(sa.Column('supplier_id', sa.Integer(), nullable=True))
        batch.create_foreign_key(op.f('fk_user_supplier_id_supplier'), 'supplier',
                                 ['supplier_id'], ['id'], ondelete='CASCADE')
    op.create_table(
        'qualification',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('account_id', sa.Integer(), nullable=False),
        sa.Column('company_name', sa.String(length=128), nullable=False),
        sa.Column('location', sa.String(length=128), nullable=False),
        sa.Column('company_type', sa.Enum(
            'limited_company', 'joint_stock_company', 'partnership', 'state_owned',
            'public_institution', 'sole_proprietorship', name='company_type',
            native_enum=False, length=32), nullable=False),
        sa.Column('credit_code', sa.String(length=18), nullable=False),
        sa.Column('valid_until', sa.Date(), nullable=False),
        sa.Column('no_fixed_term', sa.Boolean(), nullable=False),
        sa.Column('representative_name', sa.String(length=64), nullable=False),
        sa.Column('representative_mobile', sa.String(length=11), nullable=False),
        sa.Column('id_type', sa.Enum('resident_id', 'passport', 'hk_macao_permit',
                                     'taiwan_permit', name='id_type', native_enum=False,
                                     length=32), nullable=False),
        sa.Column('id_number', sa.String(length=32), nullable=False),
        sa.Column('id_valid_until', sa.Date(), nullable=False),
        sa.Column('id_front_id', sa.Integer(), nullable=False),
        sa.Column('id_back_id', sa.Integer(), nullable=False),
        sa.Column('business_description', sa.Text(), nullable=False),
        sa.Column('intended_use', sa.Text(), nullable=False),
        sa.Column('scenario', sa.Text(), nullable=False),
        sa.Column('sample_script', sa.Text(), nullable=False),
        sa.Column('state', sa.Enum('submitted', 'approved', 'rejected',
                                   name='qualification_state', native_enum=False,
                                   length=16), nullable=False),
        sa.Column('remark', sa.Text(), nullable=True),
        sa.Column('submitted_at', sa.DateTime(), nullable=False),
        sa.Column('reviewed_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['account_id'], ['account.id'],
                                name=op.f('fk_qualification_account_id_account'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['id_front_id'], ['document.id'],
                                name=op.f('fk_qualification_id_front_id_document')),
        sa.ForeignKeyConstraint(['id_back_id'], ['document.id'],
                                name=op.f('fk_qualification_id_back_id_document')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_qualification')),
        sa.UniqueConstraint('account_id', 'company_name', 'location',
                            name=op.f('uq_qualification_account_id_company_name_location')),
    )
    op.create_index(op.f('ix_qualification_account_id'), 'qualification', ['account_id'])
    op.create_table(
        'qualification_supplier',
        sa.Column('qualification_id', sa.Integer(), nullable=False),
        sa.Column('supplier_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['qualification_id'], ['qualification.id'],
                                name=op.f('fk_qualification_supplier_qualification_id_'
                                          'qualification'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['supplier_id'], ['supplier.id'],
                                name=op.f('fk_qualification_supplier_supplier_id_supplier'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('qualification_id', 'supplier_id',
                                name=op.f('pk_qualification_supplier')),
    )
    _history('qualification_review', 'qualification', 'qualification_id')
    op.create_table(
        'line_application',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('account_id', sa.Integer(), nullable=False),
        sa.Column('qualification_id', sa.Integer(), nullable=False),
        sa.Column('supplier_id', sa.Integer(), nullable=False),
        sa.Column('instance_id', sa.Integer(), nullable=False),
        sa.Column('number_type', sa.Enum('landline', '400', '95', 'virtual_mobile',
                                         'international', name='number_type',
                                         native_enum=False, length=16), nullable=False),
        sa.Column('quantity', sa.Integer(), nullable=False),
        sa.Column('note', sa.Text(), nullable=False),
        sa.Column('state', sa.Enum('submitted', 'approved', 'rejected', 'delivered',
                                   name='application_state', native_enum=False,
                                   length=16), nullable=False),
        sa.Column('remark', sa.Text(), nullable=True),
        sa.Column('numbers', sa.JSON(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['account_id'], ['account.id'],
                                name=op.f('fk_line_application_account_id_account'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['qualification_id'], ['qualification.id'],
                                name=op.f('fk_line_application_qualification_id_qualification'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['supplier_id'], ['supplier.id'],
                                name=op.f('fk_line_application_supplier_id_supplier'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['instance_id'], ['instance.id'],
                                name=op.f('fk_line_application_instance_id_instance'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_line_application')),
    )
    op.create_index(op.f('ix_line_application_account_id'), 'line_application',
                    ['account_id'])
    op.create_index(op.f('ix_line_application_supplier_id'), 'line_application',
                    ['supplier_id'])
    _history('line_application_event', 'line_application', 'application_id')


def downgrade() -> None:
    op.drop_table('line_application_event')
    op.drop_table('line_application')
    op.drop_table('qualification_review')
    op.drop_table('qualification_supplier')
    op.drop_table('qualification')
    op.execute(sa.text('DELETE FROM "user" WHERE account_id IS NULL'))
    with op.batch_alter_table('user') as batch:
        batch.drop_constraint(op.f('fk_user_supplier_id_supplier'), type_='foreignkey')
        batch.drop_column('supplier_id')
        batch.alter_column('account_id', existing_type=sa.Integer(), nullable=False)
    op.drop_table('supplier_agreement')
    with op.batch_alter_table('supplier') as batch:
        for column in ('virtual_mobile_concurrency', 'virtual_mobile_batch',
                       'barred_industries', 'number_types'):
            batch.drop_column(column)
    op.drop_table('document')
