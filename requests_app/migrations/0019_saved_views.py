import django.db.models.deletion
import django.db.models.functions.text
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("requests_app", "0018_mentions"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="SavedView",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True,
                                           serialize=False, verbose_name="ID")),
                ("name", models.CharField(max_length=80, verbose_name="nom")),
                ("queue", models.CharField(max_length=50, verbose_name="file d'attente")),
                ("filters", models.JSONField(blank=True, default=dict, verbose_name="filtres")),
                ("shared_role", models.CharField(
                    blank=True,
                    choices=[("FrontDesk", "FrontDesk"), ("Daily", "Daily"),
                             ("ServiceDesk", "ServiceDesk"), ("Expert", "Expert"),
                             ("R&D", "R&D"),
                             ("Administration des ventes", "Administration des ventes")],
                    default="", help_text="Vide : la vue est personnelle.", max_length=50,
                    verbose_name="partagée avec le rôle")),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now,
                                                    verbose_name="créée le")),
                ("updated_at", models.DateTimeField(default=django.utils.timezone.now,
                                                    verbose_name="modifiée le")),
                ("owner", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE,
                                            related_name="saved_views",
                                            to=settings.AUTH_USER_MODEL,
                                            verbose_name="propriétaire")),
            ],
            options={
                "verbose_name": "vue enregistrée",
                "verbose_name_plural": "vues enregistrées",
                "ordering": ["name", "pk"],
                "indexes": [models.Index(condition=models.Q(("shared_role", ""), _negated=True),
                                         fields=["shared_role"], name="saved_view_shared")],
                "constraints": [models.UniqueConstraint(
                    models.F("owner"), django.db.models.functions.text.Lower("name"),
                    name="saved_view_name_once")],
            },
        ),
        migrations.AddIndex(
            model_name="request",
            index=models.Index(
                condition=models.Q(("status__in", ["open", "qualified", "in_progress",
                                                   "awaiting_triage", "awaiting_rnd",
                                                   "awaiting_customer"])),
                fields=["priority", "status"], name="req_open_priority"),
        ),
    ]
