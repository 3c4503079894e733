from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("requests_app", "0020_automation")]

    operations: list = []
