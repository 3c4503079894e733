"""Reference data with the exact French labels of DESIGN.md: categories, types, priorities,
ERP modules and the role groups."""

from django.db import migrations

CATEGORIES = [("Assistance", 1), ("Administration", 2)]

TYPES = [
    # code, name, category, description, subject_to_slo, client_can_open, position
    ("support", "Support", "Assistance",
     "Demande d'assistance ou questions relatives à ProConcept ERP", True, True, 1),
    ("patch", "Patch", "Administration",
     "Organisation de l'application d'un correctif", False, True, 2),
    ("licence", "Licence", "Administration",
     "Génération d'une clé de licence", False, False, 3),
]

PRIORITIES = [
    ("blocking", "Bloquante", 0,
     "Processus vital pour l'entreprise bloqué et non contournable, risque de perte de "
     "chiffre d'affaire"),
    ("high", "Haute", 1,
     "Processus vital bloqué, risque de perte de chiffre d'affaire dans l'immédiat"),
    ("medium", "Moyenne", 2, "Contournable difficilement et coûteux"),
    ("low", "Basse", 3, "Facilement contournable ou confort"),
]

MODULES = [
    ("finance", "Finance"), ("logistique", "Logistique"), ("ventes", "Ventes"),
    ("achats", "Achats"), ("production", "Production"), ("salaires", "Salaires"),
    ("crm", "CRM"), ("projets", "Gestion de projets"), ("sav", "Service après-vente"),
    ("edi", "EDI"), ("autre", "Autre / je ne sais pas"),
]

ROLES = ["FrontDesk", "Daily", "ServiceDesk", "Expert", "R&D", "Administration des ventes"]


def seed(apps, schema_editor):
    Category = apps.get_model("requests_app", "Category")
    RequestType = apps.get_model("requests_app", "RequestType")
    Priority = apps.get_model("requests_app", "Priority")
    ErpModule = apps.get_model("requests_app", "ErpModule")
    Group = apps.get_model("auth", "Group")
    categories = {}
    for name, position in CATEGORIES:
        categories[name], _ = Category.objects.update_or_create(
            name=name, defaults={"position": position}
        )
    for code, name, category, description, slo, client, position in TYPES:
        RequestType.objects.update_or_create(code=code, defaults={
            "name": name, "category": categories[category], "description": description,
            "subject_to_slo": slo, "client_can_open": client, "position": position,
        })
    for code, name, rank, signification in PRIORITIES:
        Priority.objects.update_or_create(code=code, defaults={
            "name": name, "rank": rank, "signification": signification,
        })
    for code, name in MODULES:
        ErpModule.objects.update_or_create(code=code, defaults={"name": name})
    for role in ROLES:
        Group.objects.get_or_create(name=role)


class Migration(migrations.Migration):
    dependencies = [
        ("requests_app", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
