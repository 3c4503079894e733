"""The priorities' significations in correct French ("chiffre d'affaires", "Difficilement
contournable et coûteux"): the seeded texts only, an administrator's own wording is kept."""

from django.db import migrations

FIXES = {
    "blocking": ("Processus vital pour l'entreprise bloqué et non contournable, risque de perte "
                 "de chiffre d'affaire",
                 "Processus vital pour l'entreprise bloqué et non contournable, risque de perte "
                 "de chiffre d'affaires"),
    "high": ("Processus vital bloqué, risque de perte de chiffre d'affaire dans l'immédiat",
             "Processus vital bloqué, risque de perte de chiffre d'affaires dans l'immédiat"),
    "medium": ("Contournable difficilement et coûteux",
               "Difficilement contournable et coûteux"),
}


def reword(apps, schema_editor, *, forwards: bool = True):
    Priority = apps.get_model("requests_app", "Priority")
    for code, (seeded, fixed) in FIXES.items():
        old, new = (seeded, fixed) if forwards else (fixed, seeded)
        Priority.objects.filter(code=code, signification=old).update(signification=new)


def unreword(apps, schema_editor):
    reword(apps, schema_editor, forwards=False)


class Migration(migrations.Migration):
    dependencies = [("requests_app", "0010_worker_heartbeat")]

    operations = [migrations.RunPython(reword, unreword)]
