"""Reference data in French, German and English (django-modeltranslation): a column per
language for the names and descriptions of categories, types, priorities and ERP modules.
The French columns take today's texts; German and English are filled for the rows seeded by
0002 whose French text is still the seeded one (an administrator's own rows and wording are
theirs to translate in the admin). And the kinds of e-mail a person turned off on their
profile."""

from django.db import migrations, models

# (model, code or French name) -> {field: (French, German, English)}
SEEDED = {
    ("Category", "Assistance"): {"name": ("Assistance", "Unterstützung", "Assistance")},
    ("Category", "Administration"): {
        "name": ("Administration", "Administration", "Administration")},
    ("RequestType", "support"): {
        "name": ("Support", "Support", "Support"),
        "description": ("Demande d'assistance ou questions relatives à ProConcept ERP",
                        "Supportanfrage oder Fragen zu ProConcept ERP",
                        "Request for assistance or questions about ProConcept ERP")},
    ("RequestType", "patch"): {
        "name": ("Patch", "Patch", "Patch"),
        "description": ("Organisation de l'application d'un correctif",
                        "Planung der Installation eines Korrekturpakets",
                        "Arranging the installation of a patch")},
    ("RequestType", "licence"): {
        "name": ("Licence", "Lizenz", "Licence"),
        "description": ("Génération d'une clé de licence",
                        "Erstellung eines Lizenzschlüssels",
                        "Generating a licence key")},
    ("Priority", "blocking"): {
        "name": ("Bloquante", "Blockierend", "Blocking"),
        "signification": (
            "Processus vital pour l'entreprise bloqué et non contournable, risque de perte de "
            "chiffre d'affaires",
            "Für das Unternehmen lebenswichtiger Prozess blockiert und nicht umgehbar, Risiko "
            "von Umsatzeinbussen",
            "Business-critical process blocked with no workaround, risk of lost revenue")},
    ("Priority", "high"): {
        "name": ("Haute", "Hoch", "High"),
        "signification": (
            "Processus vital bloqué, risque de perte de chiffre d'affaires dans l'immédiat",
            "Lebenswichtiger Prozess blockiert, unmittelbares Risiko von Umsatzeinbussen",
            "Vital process blocked, immediate risk of lost revenue")},
    ("Priority", "medium"): {
        "name": ("Moyenne", "Mittel", "Medium"),
        "signification": ("Difficilement contournable et coûteux",
                          "Nur schwer und mit hohem Aufwand umgehbar",
                          "Hard and costly to work around")},
    ("Priority", "low"): {
        "name": ("Basse", "Niedrig", "Low"),
        "signification": ("Facilement contournable ou confort",
                          "Leicht umgehbar oder Komfortwunsch",
                          "Easy to work around, or a convenience")},
    **{("ErpModule", code): {"name": names} for code, names in {
        "finance": ("Finance", "Finanzen", "Finance"),
        "logistique": ("Logistique", "Logistik", "Logistics"),
        "ventes": ("Ventes", "Verkauf", "Sales"),
        "achats": ("Achats", "Einkauf", "Purchasing"),
        "production": ("Production", "Produktion", "Production"),
        "salaires": ("Salaires", "Lohn", "Payroll"),
        "crm": ("CRM", "CRM", "CRM"),
        "projets": ("Gestion de projets", "Projektmanagement", "Project management"),
        "sav": ("Service après-vente", "Kundendienst", "After-sales service"),
        "edi": ("EDI", "EDI", "EDI"),
        "autre": ("Autre / je ne sais pas", "Andere / weiss nicht", "Other / not sure"),
    }.items()},
}
TRANSLATED = {"Category": ("name",), "RequestType": ("name", "description"),
              "Priority": ("name", "signification"), "ErpModule": ("name",)}


def translate(apps, schema_editor):
    for model_name, fields in TRANSLATED.items():
        model = apps.get_model("requests_app", model_name)
        for row in model.objects.all():
            ident = row.name if model_name == "Category" else row.code
            seeded = SEEDED.get((model_name, ident), {})
            for field in fields:
                french = getattr(row, field)
                setattr(row, f"{field}_fr", french)
                texts = seeded.get(field)
                if texts and texts[0] == french:
                    setattr(row, f"{field}_de", texts[1])
                    setattr(row, f"{field}_en", texts[2])
            row.save()


class Migration(migrations.Migration):
    dependencies = [("requests_app", "0012_search_document")]

    operations = [
        migrations.AddField(
            model_name='category',
            name='name_de',
            field=models.CharField(max_length=100, null=True, unique=True, verbose_name='catégorie'),
        ),
        migrations.AddField(
            model_name='category',
            name='name_en',
            field=models.CharField(max_length=100, null=True, unique=True, verbose_name='catégorie'),
        ),
        migrations.AddField(
            model_name='category',
            name='name_fr',
            field=models.CharField(max_length=100, null=True, unique=True, verbose_name='catégorie'),
        ),
        migrations.AddField(
            model_name='erpmodule',
            name='name_de',
            field=models.CharField(max_length=100, null=True, verbose_name='module'),
        ),
        migrations.AddField(
            model_name='erpmodule',
            name='name_en',
            field=models.CharField(max_length=100, null=True, verbose_name='module'),
        ),
        migrations.AddField(
            model_name='erpmodule',
            name='name_fr',
            field=models.CharField(max_length=100, null=True, verbose_name='module'),
        ),
        migrations.AddField(
            model_name='priority',
            name='name_de',
            field=models.CharField(max_length=50, null=True, verbose_name='priorité'),
        ),
        migrations.AddField(
            model_name='priority',
            name='name_en',
            field=models.CharField(max_length=50, null=True, verbose_name='priorité'),
        ),
        migrations.AddField(
            model_name='priority',
            name='name_fr',
            field=models.CharField(max_length=50, null=True, verbose_name='priorité'),
        ),
        migrations.AddField(
            model_name='priority',
            name='signification_de',
            field=models.CharField(max_length=300, null=True, verbose_name='signification'),
        ),
        migrations.AddField(
            model_name='priority',
            name='signification_en',
            field=models.CharField(max_length=300, null=True, verbose_name='signification'),
        ),
        migrations.AddField(
            model_name='priority',
            name='signification_fr',
            field=models.CharField(max_length=300, null=True, verbose_name='signification'),
        ),
        migrations.AddField(
            model_name='requesttype',
            name='description_de',
            field=models.CharField(max_length=300, null=True, verbose_name='description'),
        ),
        migrations.AddField(
            model_name='requesttype',
            name='description_en',
            field=models.CharField(max_length=300, null=True, verbose_name='description'),
        ),
        migrations.AddField(
            model_name='requesttype',
            name='description_fr',
            field=models.CharField(max_length=300, null=True, verbose_name='description'),
        ),
        migrations.AddField(
            model_name='requesttype',
            name='name_de',
            field=models.CharField(max_length=100, null=True, verbose_name='type'),
        ),
        migrations.AddField(
            model_name='requesttype',
            name='name_en',
            field=models.CharField(max_length=100, null=True, verbose_name='type'),
        ),
        migrations.AddField(
            model_name='requesttype',
            name='name_fr',
            field=models.CharField(max_length=100, null=True, verbose_name='type'),
        ),
        migrations.AddField(
            model_name='profile',
            name='email_kinds_off',
            field=models.JSONField(blank=True, default=list, verbose_name='e-mails désactivés'),
        ),
        migrations.RunPython(translate, migrations.RunPython.noop),
    ]
