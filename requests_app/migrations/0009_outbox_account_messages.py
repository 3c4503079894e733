"""E-mails about an account (the password reset) go through the outbox too: such a row has no
request nor event."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("requests_app", "0008_shared_count_index"),
    ]

    operations = [
        migrations.AlterField(
            model_name="outboundmessage",
            name="event",
            field=models.ForeignKey(blank=True, null=True,
                                    on_delete=django.db.models.deletion.CASCADE,
                                    related_name="outbound_messages",
                                    to="requests_app.requestevent", verbose_name="événement"),
        ),
        migrations.AlterField(
            model_name="outboundmessage",
            name="kind",
            field=models.CharField(choices=[
                ("request_received", "Demande reçue"),
                ("status_changed", "Changement de statut"),
                ("agent_comment", "Réponse du Customer Service"),
                ("client_comment", "Commentaire du client"),
                ("confirmation_request", "Demande de confirmation"),
                ("confirmed", "Résolution confirmée"),
                ("denied", "Résolution refusée"),
                ("slo_warning", "SLO bientôt dépassé"),
                ("slo_breached", "SLO dépassé"),
                ("closed", "Demande fermée"),
                ("password_reset", "Réinitialisation du mot de passe"),
            ], max_length=30, verbose_name="type"),
        ),
        migrations.AlterField(
            model_name="outboundmessage",
            name="request",
            field=models.ForeignKey(blank=True, null=True,
                                    on_delete=django.db.models.deletion.CASCADE,
                                    related_name="outbound_messages",
                                    to="requests_app.request", verbose_name="demande"),
        ),
        migrations.AddConstraint(
            model_name="outboundmessage",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("kind", "password_reset"),
                    models.Q(("event__isnull", False), ("request__isnull", False)),
                    _connector="OR",
                ),
                name="outbox_request_unless_account",
            ),
        ),
    ]
