from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("requests_app", "0016_notification_and_event_kinds")]

    operations: list = []
