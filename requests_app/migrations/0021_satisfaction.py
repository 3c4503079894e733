import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

OPEN_STATUSES = ["open", "qualified", "in_progress", "awaiting_triage", "awaiting_rnd",
                 "awaiting_customer"]


class Migration(migrations.Migration):
    dependencies = [
        ("requests_app", "0020_automation"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="SatisfactionRating",
            fields=[
                ("request", models.OneToOneField(
                    on_delete=django.db.models.deletion.CASCADE, primary_key=True,
                    related_name="satisfaction", serialize=False, to="requests_app.request",
                    verbose_name="demande")),
                ("rating", models.PositiveSmallIntegerField(
                    choices=[(1, "Très insatisfait"), (2, "Insatisfait"),
                             (3, "Ni satisfait ni insatisfait"), (4, "Satisfait"),
                             (5, "Très satisfait")],
                    verbose_name="note")),
                ("comment", models.TextField(blank=True, verbose_name="commentaire")),
                ("rated_by", models.ForeignKey(
                    null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+",
                    to=settings.AUTH_USER_MODEL, verbose_name="notée par")),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now,
                                                    verbose_name="notée le")),
                ("updated_at", models.DateTimeField(default=django.utils.timezone.now,
                                                    verbose_name="modifiée le")),
                ("agent", models.ForeignKey(
                    blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL,
                    related_name="+", to=settings.AUTH_USER_MODEL, verbose_name="agent")),
                ("organisation", models.ForeignKey(
                    on_delete=django.db.models.deletion.PROTECT, related_name="+",
                    to="requests_app.organisation", verbose_name="organisation")),
            ],
            options={
                "verbose_name": "satisfaction",
                "verbose_name_plural": "satisfactions",
                "ordering": ["-created_at"],
                "indexes": [
                    models.Index(fields=["created_at", "agent", "organisation", "rating"],
                                 name="satisfaction_report"),
                ],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(("rating__gte", 1), ("rating__lte", 5)),
                        name="satisfaction_rating_1_to_5"),
                ],
            },
        ),
        migrations.CreateModel(
            name="DashboardFigures",
            fields=[
                ("id", models.PositiveSmallIntegerField(default=1, primary_key=True,
                                                        serialize=False)),
                ("computed_at", models.DateTimeField(verbose_name="calculés le")),
                ("backlog", models.JSONField(default=dict)),
                ("weeks", models.JSONField(default=list)),
            ],
            options={
                "verbose_name": "chiffres du tableau de bord",
                "verbose_name_plural": "chiffres du tableau de bord",
            },
        ),
        # The dashboard's backlog per status and age, counted from this index alone.
        migrations.AddIndex(
            model_name="request",
            index=models.Index(condition=models.Q(("status__in", OPEN_STATUSES)),
                               fields=["status", "created_at"],
                               name="req_open_status_created"),
        ),
    ]
