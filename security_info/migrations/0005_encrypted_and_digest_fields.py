# The seed and the digests are declared with portal.fields, so key rotation can find them. The
# columns stay exactly as they were (text, and 64 characters): only the state changes.

import portal.fields
from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('security_info', '0004_password_models_moved'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='apppassword',
                    name='digest',
                    field=portal.fields.DigestField(max_length=64, unique=True),
                ),
                migrations.AlterField(
                    model_name='method',
                    name='secret',
                    field=portal.fields.EncryptedTextField(
                        blank=True, verbose_name='encrypted secret'
                    ),
                ),
                migrations.AlterField(
                    model_name='recoverycode',
                    name='digest',
                    field=portal.fields.DigestField(max_length=64),
                ),
                migrations.AlterField(
                    model_name='temporaryaccesspass',
                    name='digest',
                    field=portal.fields.DigestField(max_length=64),
                ),
            ],
            database_operations=[],
        ),
    ]
