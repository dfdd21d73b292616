# PasswordHistory and Lockout now belong to the password app (its 0001 takes them over):
# forget them here without touching their tables.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('security_info', '0003_lockout_passwordhistory'),
        ('password', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name='Lockout'),
                migrations.DeleteModel(name='PasswordHistory'),
            ],
            database_operations=[],
        ),
    ]
