# The tables take the password app's names, now that security_info has let go of them.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('password', '0001_initial'),
        ('security_info', '0004_password_models_moved'),
    ]

    operations = [
        migrations.AlterModelTable(name='lockout', table=None),
        migrations.AlterModelTable(name='passwordhistory', table=None),
    ]
