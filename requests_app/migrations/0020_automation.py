from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("requests_app", "0019_saved_views")]

    operations: list = []
