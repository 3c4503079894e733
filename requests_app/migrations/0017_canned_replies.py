"""Canned replies ("réponses types"): personal or shared with the back office, their title and
body in French, German and English (django-modeltranslation's columns)."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("requests_app", "0016_notification_and_event_kinds"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="CannedReply",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False,
                                           verbose_name="ID")),
                ("title", models.CharField(max_length=120, verbose_name="titre")),
                ("title_fr", models.CharField(max_length=120, null=True, verbose_name="titre")),
                ("title_de", models.CharField(max_length=120, null=True, verbose_name="titre")),
                ("title_en", models.CharField(max_length=120, null=True, verbose_name="titre")),
                ("body", models.TextField(verbose_name="texte")),
                ("body_fr", models.TextField(null=True, verbose_name="texte")),
                ("body_de", models.TextField(null=True, verbose_name="texte")),
                ("body_en", models.TextField(null=True, verbose_name="texte")),
                ("search_text", models.TextField(blank=True, default="", editable=False)),
                ("revision", models.PositiveIntegerField(default=1, editable=False,
                                                         verbose_name="révision")),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now,
                                                    verbose_name="créée le")),
                ("updated_at", models.DateTimeField(default=django.utils.timezone.now,
                                                    verbose_name="modifiée le")),
                ("owner", models.ForeignKey(
                    blank=True,
                    help_text="Vide : la réponse type est partagée avec tout le back office.",
                    null=True, on_delete=django.db.models.deletion.CASCADE,
                    related_name="canned_replies", to=settings.AUTH_USER_MODEL,
                    verbose_name="propriétaire")),
                ("updated_by", models.ForeignKey(
                    blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL,
                    related_name="+", to=settings.AUTH_USER_MODEL,
                    verbose_name="modifiée par")),
            ],
            options={
                "verbose_name": "réponse type",
                "verbose_name_plural": "réponses types",
                "ordering": ["title", "pk"],
            },
        ),
    ]
