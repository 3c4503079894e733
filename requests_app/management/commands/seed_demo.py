"""Demo organisations, accounts (password ``demo``) and a dozen requests across the statuses.

Idempotent, and refused outside demo mode. Requests are made through the services, so their
history and SLO clocks are what real use would give.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from requests_app import services
from requests_app.models import (
    CannedReply,
    ErpModule,
    Organisation,
    Priority,
    Profile,
    Request,
    RequestType,
)
from requests_app.permissions import Role
from requests_app.services.canned_replies import canned_reply_create
from slo import rollups

# The user model (auth.User, not swapped): its class for the type checker, the swappable
# lookup at run time.
if TYPE_CHECKING:
    from django.contrib.auth.models import User
else:
    User = get_user_model()
PASSWORD = "demo"
JURA = "Horlogerie du Jura SA"
LEMAN = "Chocolats du Léman SA"

# username, first name, last name, organisation, roles, superuser
ACCOUNTS = [
    ("client", "Claire", "Rochat", JURA, [], False),
    ("client2", "Marc", "Girardin", JURA, [], False),
    ("client.leman", "Léa", "Favre", LEMAN, [], False),
    ("frontdesk", "Fanny", "Desk", None, [Role.FRONTDESK], False),
    ("daily", "Daniel", "Dailly", None, [Role.DAILY], False),
    ("servicedesk", "Sami", "Service", None, [Role.SERVICEDESK], False),
    ("expert", "Eva", "Experte", None, [Role.EXPERT], False),
    ("rd", "Raphaël", "Développeur", None, [Role.RND], False),
    ("sales", "Sophie", "Ventes", None, [Role.SALES_ADMIN], False),
    ("admin", "Alex", "Admin", None, [], True),
]


class Command(BaseCommand):
    help = "Create the demo organisations, accounts and requests (demo mode only)."

    def handle(self, *args, **options) -> None:
        if not settings.DEMO_MODE:
            raise CommandError("seed_demo only runs in demo mode (DEMO_MODE=1).")
        with transaction.atomic():
            users = self._accounts()
        if Request.objects.exists():
            self.stdout.write("Demo requests already present: nothing to add.")
        else:
            self._requests(users)
            rollups.rollups_refresh()  # the SLO report's figures at once, not at beat's minute
        if not CannedReply.objects.exists():
            self._canned_replies(users)
        self.stdout.write(self.style.SUCCESS("Demo accounts (password 'demo'): " + ", ".join(
            username for username, *_rest in ACCOUNTS)))

    def _canned_replies(self, u: dict) -> None:
        """A few canned replies: shared ones in three languages, and one of ServiceDesk's."""
        shared = [
            (("Accusé de réception",
              "Bonjour {{client.prenom}},\n\nNous avons bien reçu votre demande "
              "{{demande.numero}} « {{demande.titre}} » et nous l'analysons.\n\n"
              "Meilleures salutations,\n{{agent.nom}}"),
             ("Eingangsbestätigung",
              "Guten Tag {{client.prenom}}\n\nWir haben Ihre Anfrage {{demande.numero}} "
              "«{{demande.titre}}» erhalten und prüfen sie.\n\nFreundliche Grüsse\n"
              "{{agent.nom}}"),
             ("Acknowledgement",
              "Hello {{client.prenom}},\n\nWe have received your request {{demande.numero}} "
              "\"{{demande.titre}}\" and are looking into it.\n\nKind regards,\n"
              "{{agent.nom}}")),
            (("Informations manquantes",
              "Bonjour {{client.prenom}},\n\nPour avancer sur {{demande.numero}}, pourriez-"
              "vous nous indiquer la version exacte de ProConcept ERP et l'environnement "
              "concerné (production, test) ?\n\n{{agent.nom}}"),
             ("Fehlende Angaben",
              "Guten Tag {{client.prenom}}\n\nDamit wir {{demande.numero}} weiterbearbeiten "
              "können: Welche Version von ProConcept ERP und welche Umgebung (Produktion, "
              "Test) sind betroffen?\n\n{{agent.nom}}"),
             ("Missing information",
              "Hello {{client.prenom}},\n\nTo move {{demande.numero}} forward, could you "
              "tell us the exact ProConcept ERP version and the environment (production, "
              "test)?\n\n{{agent.nom}}")),
        ]
        for fr, de, en in shared:
            canned_reply_create(actor=u["servicedesk"], shared=True,
                                titles={"fr": fr[0], "de": de[0], "en": en[0]},
                                bodies={"fr": fr[1], "de": de[1], "en": en[1]})
        canned_reply_create(
            actor=u["servicedesk"], shared=False,
            titles={"fr": "Correctif disponible"},
            bodies={"fr": "Bonjour {{client.prenom}},\n\nLe correctif pour "
                          "{{demande.numero}} est disponible. Vous pouvez suivre la demande "
                          "ici : {{demande.lien}}\n\n{{agent.prenom}}"})

    def _accounts(self) -> dict[str, User]:
        organisations = {
            name: Organisation.objects.get_or_create(name=name)[0] for name in (JURA, LEMAN)
        }
        users = {}
        for username, first, last, organisation, roles, superuser in ACCOUNTS:
            user, created = User.objects.get_or_create(username=username, defaults={
                "first_name": first, "last_name": last,
                "email": f"{username}@demo.spt.invalid",
                "is_staff": superuser, "is_superuser": superuser,
            })
            if created:
                user.set_password(PASSWORD)
                user.save()
            Profile.objects.update_or_create(user=user, defaults={
                "organisation": organisations[organisation] if organisation else None,
            })
            for role in roles:
                user.groups.add(Group.objects.get(name=role))
            users[username] = User.objects.get(pk=user.pk)
        return users

    def _requests(self, u: dict) -> None:
        support = RequestType.objects.get(code="support")
        patch = RequestType.objects.get(code="patch")
        licence = RequestType.objects.get(code="licence")
        p = {x.code: x for x in Priority.objects.all()}
        finance = ErpModule.objects.get(code="finance")
        logistique = ErpModule.objects.get(code="logistique")
        now = timezone.now()

        def create(reporter, title, description, *, rtype=support, priority="medium",
                   days_ago=0, **extra):
            return services.request_create(
                actor=reporter, request_type=rtype, title=title, description=description,
                priority=p[priority], at=now - timedelta(days=days_ago), **extra,
            )

        def qualify(r, priority="medium", module=finance):
            return services.request_qualify(
                actor=u["frontdesk"], request=r, request_type=r.request_type,
                priority=p[priority], module=module, version="24.1", environment="production",
            )

        def start(r):
            return services.request_start(actor=u["daily"], request=r,
                                          assignee=u["servicedesk"])

        create(u["client"], "Écriture de clôture refusée",
               "La clôture mensuelle affiche **Erreur 4512** lors de la validation.",
               priority="high")
        create(u["client2"], "Question sur l'export TVA",
               "Comment exporter le décompte TVA au format XML ?", priority="low")
        create(u["client.leman"], "Étiquettes logistiques mal alignées",
               "Depuis la mise à jour, les étiquettes sortent décalées.", days_ago=1)
        qualify(create(u["client"], "Application du correctif 24.1.3",
                       "Merci d'organiser l'application du correctif en test.", rtype=patch,
                       details={"patch_reference": "24.1.3", "time_window": "Samedi matin"},
                       environment="test", days_ago=2), priority="low")
        start(qualify(create(u["client"], "Lenteur de la saisie des commandes",
                             "La saisie d'une commande prend plus de 30 secondes.",
                             priority="high", days_ago=3), priority="high", module=logistique))
        r = start(qualify(create(u["client2"], "Plantage à l'impression des factures",
                                 "L'impression groupée plante au-delà de 200 factures.",
                                 days_ago=4)))
        services.request_escalate_to_expert(actor=u["servicedesk"], request=r,
                                            note="Reproduit en test, à analyser par un expert.")
        r = start(qualify(create(u["client.leman"], "Calcul des frais de port erroné",
                                 "Les frais de port sont doublés pour l'étranger.",
                                 days_ago=5, priority="high"), priority="high"))
        services.request_send_to_rnd(actor=u["servicedesk"], request=r,
                                     rnd_reference="RD-2026-118")
        r = start(qualify(create(u["client"], "Droits d'accès au module Salaires",
                                 "Un nouvel utilisateur ne voit pas le module Salaires.",
                                 days_ago=6)))
        services.request_ask_customer(actor=u["servicedesk"], request=r,
                                      question="Pouvez-vous nous indiquer son identifiant ?")
        r = start(qualify(create(u["client"], "Rapprochement bancaire bloqué",
                                 "Le rapprochement bancaire ne se termine pas.",
                                 days_ago=7, priority="blocking"), priority="blocking"))
        services.request_propose_resolution(
            actor=u["servicedesk"], request=r,
            resolution="Le paramètre de tolérance a été corrigé ; merci de confirmer.")
        r = start(qualify(create(u["client2"], "Export des stocks vers Excel",
                                 "Le bouton d'export Excel est grisé.", days_ago=9)))
        services.request_propose_resolution(actor=u["servicedesk"], request=r,
                                            resolution="Droit ajouté à votre rôle.")
        services.resolution_confirm(actor=u["client2"], request=r, body="Merci, ça marche.",
                                    rating=5)
        services.request_close(actor=u["servicedesk"], request=r)
        r = create(u["client"], "Doublon : clôture refusée", "Même problème que la veille.",
                   days_ago=8)
        services.request_close_without_follow_up(
            actor=u["frontdesk"], request=r, comment="Doublon d'une demande déjà ouverte.")
        services.request_create(
            actor=u["sales"], request_type=licence, title="Clé de licence 2027",
            description="Renouvellement annuel de la clé de licence.", priority=p["medium"],
            organisation=u["client"].profile.organisation, reporter=u["client"],
            details={"modules": "Finance, Logistique", "users": 25, "validity": "2027-12-31"},
        )
