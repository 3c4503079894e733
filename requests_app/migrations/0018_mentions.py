import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("requests_app", "0017_canned_replies"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="Mention",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False,
                                           verbose_name="ID")),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now,
                                                    verbose_name="mentionnée le")),
                ("read_at", models.DateTimeField(blank=True, null=True, verbose_name="lue le")),
                ("comment", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE,
                                              related_name="mentions",
                                              to="requests_app.comment")),
                ("person", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE,
                                             related_name="request_mentions",
                                             to=settings.AUTH_USER_MODEL,
                                             verbose_name="personne mentionnée")),
                ("request", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE,
                                              related_name="mentions",
                                              to="requests_app.request")),
            ],
            options={
                "verbose_name": "mention",
                "verbose_name_plural": "mentions",
                "ordering": ["-created_at", "-pk"],
                "indexes": [
                    models.Index(fields=["person", "request", "-created_at"],
                                 name="mention_person_req"),
                    models.Index(condition=models.Q(("read_at__isnull", True)),
                                 fields=["person", "request"], name="mention_person_unread"),
                ],
                "constraints": [
                    models.UniqueConstraint(fields=("comment", "person"), name="mention_once"),
                ],
            },
        ),
    ]
