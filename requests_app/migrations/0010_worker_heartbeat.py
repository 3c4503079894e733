from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("requests_app", "0009_outbox_account_messages"),
    ]

    operations = [
        migrations.CreateModel(
            name="WorkerHeartbeat",
            fields=[
                ("name", models.CharField(max_length=50, primary_key=True, serialize=False,
                                          verbose_name="nom")),
                ("beat_at", models.DateTimeField(verbose_name="dernier passage")),
            ],
            options={
                "verbose_name": "passage périodique",
                "verbose_name_plural": "passages périodiques",
            },
        ),
    ]
