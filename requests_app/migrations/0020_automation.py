import datetime

import django.core.validators
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("requests_app", "0019_saved_views")]

    operations = [
        migrations.CreateModel(
            name="AutomationRun",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False,
                                           verbose_name="ID")),
                ("job", models.CharField(max_length=30, verbose_name="tâche")),
                ("day", models.DateField(verbose_name="jour")),
                ("ran_at", models.DateTimeField(verbose_name="passage")),
                ("sent", models.PositiveIntegerField(default=0, verbose_name="e-mails")),
            ],
            options={
                "verbose_name": "passage d'automatisation",
                "verbose_name_plural": "passages d'automatisation",
                "ordering": ["-day", "job"],
            },
        ),
        migrations.AddConstraint(
            model_name="automationrun",
            constraint=models.UniqueConstraint(fields=("job", "day"), name="automation_once"),
        ),
        migrations.CreateModel(
            name="AutomationSettings",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False,
                                           verbose_name="ID")),
                ("reminder_enabled", models.BooleanField(
                    default=True, verbose_name="relancer le client",
                    help_text="Un e-mail au demandeur et aux participants quand une demande "
                              "attend leur réponse depuis le nombre de jours ouvrés ci-dessous, "
                              "une fois par attente.")),
                ("reminder_business_days", models.PositiveSmallIntegerField(
                    default=5, verbose_name="relance après (jours ouvrés)",
                    validators=[django.core.validators.MinValueValidator(1),
                                django.core.validators.MaxValueValidator(60)])),
                ("auto_close_enabled", models.BooleanField(
                    default=False, verbose_name="clore sans réponse automatiquement",
                    help_text="« Clore sans réponse » fait au nom de la personne assignée dès "
                              "que le délai de réponse du client est passé "
                              "(CUSTOMER_WAIT_BUSINESS_DAYS jours ouvrés), avec le commentaire "
                              "ci-dessous.")),
                ("auto_close_comment", models.TextField(
                    blank=True, max_length=2000,
                    verbose_name="commentaire au client de la clôture automatique",
                    help_text="Vide : le texte standard, dans la langue du demandeur.")),
                ("auto_close_comment_fr", models.TextField(
                    blank=True, max_length=2000, null=True,
                    verbose_name="commentaire au client de la clôture automatique",
                    help_text="Vide : le texte standard, dans la langue du demandeur.")),
                ("auto_close_comment_de", models.TextField(
                    blank=True, max_length=2000, null=True,
                    verbose_name="commentaire au client de la clôture automatique",
                    help_text="Vide : le texte standard, dans la langue du demandeur.")),
                ("auto_close_comment_en", models.TextField(
                    blank=True, max_length=2000, null=True,
                    verbose_name="commentaire au client de la clôture automatique",
                    help_text="Vide : le texte standard, dans la langue du demandeur.")),
                ("digest_enabled", models.BooleanField(
                    default=True, verbose_name="synthèse du matin au Daily",
                    help_text="Les demandes ouvertes dont un SLO est à risque ou dépassé, chaque "
                              "jour ouvré ; rien n'est envoyé quand il n'y en a aucune.")),
                ("digest_time", models.TimeField(
                    default=datetime.time(8, 0), verbose_name="heure de la synthèse",
                    help_text="Heure du calendrier ouvré (Europe/Zurich par défaut).")),
            ],
            options={
                "verbose_name": "automatisation",
                "verbose_name_plural": "automatisations",
            },
        ),
        # The morning digest is about several requests: like a password reset, its e-mail
        # names no request and no event.
        migrations.RemoveConstraint(
            model_name="outboundmessage",
            name="outbox_request_unless_account",
        ),
        migrations.AddConstraint(
            model_name="outboundmessage",
            constraint=models.CheckConstraint(
                condition=models.Q(("kind__in", ["password_reset", "daily_digest"]),
                                   models.Q(("event__isnull", False), ("request__isnull", False)),
                                   _connector="OR"),
                name="outbox_request_unless_account",
            ),
        ),
    ]
