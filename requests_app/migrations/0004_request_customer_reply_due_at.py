from django.conf import settings
from django.db import migrations, models


def backfill(apps, schema_editor):
    """Requests already waiting for their client get the deadline they would have been given
    when they started waiting."""
    from slo.calendar import default_calendar

    Request = apps.get_model("requests_app", "Request")
    waiting = Request.objects.filter(
        status="awaiting_customer", awaiting_customer_since__isnull=False
    )
    if not waiting.exists():
        return
    calendar = default_calendar()
    days = settings.CUSTOMER_WAIT_BUSINESS_DAYS
    for request in waiting.only("pk", "awaiting_customer_since").iterator():
        Request.objects.filter(pk=request.pk).update(
            customer_reply_due_at=calendar.add_business_days(
                request.awaiting_customer_since, days
            )
        )


class Migration(migrations.Migration):
    dependencies = [
        ("requests_app", "0003_outboundmessage"),
        ("slo", "0004_sloclock"),
    ]

    operations = [
        migrations.AddField(
            model_name="request",
            name="customer_reply_due_at",
            field=models.DateTimeField(
                blank=True, null=True, verbose_name="réponse du client attendue avant"
            ),
        ),
        migrations.AlterField(
            model_name='requestevent',
            name='kind',
            field=models.CharField(choices=[('created', 'Demande créée'), ('status_changed', 'Statut modifié'), ('commented', 'Commentaire'), ('internal_note', 'Note interne'), ('field_changed', 'Champ modifié'), ('assigned', 'Assignation'), ('attachment_added', 'Pièce jointe ajoutée'), ('participant_added', 'Participant ajouté'), ('participant_removed', 'Participant retiré'), ('muted', 'Notifications désactivées'), ('unmuted', 'Notifications réactivées'), ('confirmation_requested', 'Confirmation demandée'), ('confirmed', 'Résolution confirmée'), ('denied', 'Résolution refusée'), ('slo_warning', 'SLO bientôt dépassé'), ('slo_breached', 'SLO dépassé'), ('slo_breach_lifted', 'SLO de nouveau dans les délais')], max_length=30),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
