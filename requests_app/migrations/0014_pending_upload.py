"""Files of a form sent back with an error, kept for their uploader until the form succeeds
or the periodic purge removes them."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

import requests_app.models


class Migration(migrations.Migration):

    dependencies = [
        ("requests_app", "0013_reference_translations"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="PendingUpload",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False,
                                           verbose_name="ID")),
                ("token", models.CharField(editable=False, max_length=32, unique=True)),
                ("file", models.FileField(max_length=300,
                                          upload_to=requests_app.models.pending_upload_path)),
                ("original_name", models.CharField(max_length=255,
                                                   verbose_name="nom du fichier")),
                ("size", models.PositiveIntegerField()),
                ("created_at", models.DateTimeField(db_index=True,
                                                    default=django.utils.timezone.now)),
                ("owner", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE,
                                            related_name="+", to=settings.AUTH_USER_MODEL)),
            ],
            options={
                "verbose_name": "fichier en attente",
                "verbose_name_plural": "fichiers en attente",
                "ordering": ["created_at", "pk"],
            },
        ),
    ]
