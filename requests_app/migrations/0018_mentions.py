from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("requests_app", "0017_canned_replies")]

    operations: list = []
