"""Test data. People and organisations are built here; requests are made through the
services, as in real use."""

from __future__ import annotations

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from requests_app import services
from requests_app.models import ErpModule, Organisation, Priority, Profile, Request, RequestType

User = get_user_model()


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Organisation {n} SA")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name", locale="fr_CH")
    last_name = factory.Faker("last_name", locale="fr_CH")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.test")
    password = factory.PostGenerationMethodCall("set_password", "demo")

    @factory.post_generation
    def finish(self, create, extracted, **kwargs):
        if create:
            self.save()


def make_client(organisation: Organisation, username: str | None = None, language: str = "fr"):
    user = UserFactory(**({"username": username} if username else {}))
    Profile.objects.update_or_create(
        user=user, defaults={"organisation": organisation, "language": language}
    )
    return User.objects.get(pk=user.pk)


def make_agent(*roles: str, username: str | None = None, language: str = "fr"):
    user = UserFactory(**({"username": username} if username else {}))
    Profile.objects.update_or_create(user=user, defaults={"language": language})
    for role in roles:
        user.groups.add(Group.objects.get(name=role))
    return User.objects.get(pk=user.pk)


def request_type(code: str = "support") -> RequestType:
    return RequestType.objects.get(code=code)


def priority(code: str = "medium") -> Priority:
    return Priority.objects.get(code=code)


def module(code: str = "finance") -> ErpModule:
    return ErpModule.objects.get(code=code)


def make_request(reporter, *, type_code: str = "support", priority_code: str = "medium",
                 title: str = "La clôture mensuelle échoue", **kwargs) -> Request:
    return services.request_create(
        actor=reporter, request_type=request_type(type_code), title=title,
        description=kwargs.pop("description", "Erreur 4512 à la validation."),
        priority=priority(priority_code), **kwargs,
    )


def make_licence(sales_admin, reporter, **kwargs) -> Request:
    """A Licence request opened by sales administration on behalf of ``reporter``."""
    return services.request_create(
        actor=sales_admin, request_type=request_type("licence"), title="Licence 2027",
        description="Modules Finance et Ventes, 25 utilisateurs.", priority=priority(),
        organisation=reporter.profile.organisation, reporter=reporter,
        details={"modules": "Finance", "users": 25, "validity": "2027-12-31"}, **kwargs,
    )


def make_canned_reply(actor, *, title: str = "Accusé de réception",
                      body: str = "Bonjour {{client.prenom}},\n\nNous avons bien reçu "
                                  "{{demande.numero}}.\n\n{{agent.nom}}",
                      shared: bool = False, de: tuple[str, str] | None = None,
                      en: tuple[str, str] | None = None):
    """A canned reply through the service: ``actor``'s own, or shared (``shared``, for
    ServiceDesk and administrators); ``de`` and ``en`` are (title, body) translations."""
    from requests_app.services.canned_replies import canned_reply_create

    titles = {"fr": title, "de": de[0] if de else "", "en": en[0] if en else ""}
    bodies = {"fr": body, "de": de[1] if de else "", "en": en[1] if en else ""}
    return canned_reply_create(actor=actor, titles=titles, bodies=bodies, shared=shared)
