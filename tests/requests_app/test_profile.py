"""A person's language is theirs (the switch saves it, the sign-in applies it, e-mails use
it), "Mon profil" (name, language, e-mails per kind, muted requests), and reference data in
the reader's language."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.urls import reverse

from requests_app import services
from requests_app.models import NotificationKind, OutboundMessage, Profile
from requests_app.permissions import Role
from tests import factories


def _language(user) -> str:
    return Profile.objects.get(user=user).language


@pytest.mark.django_db
def test_the_switch_saves_the_language_on_the_profile_and_the_next_session_speaks_it(
        client, client_user):
    client.force_login(client_user)
    response = client.post(reverse("set_language"), {"language": "de", "next": "/portal/"})
    assert response.status_code == 302 and response["Location"] == "/portal/"
    assert _language(client_user) == "de"
    client.logout()
    client.cookies.clear()  # another browser: nothing but the profile
    client.force_login(client_user)
    html = client.get(reverse("portal:home")).content.decode()
    assert '<html lang="de"' in html and "Meine Anfragen" in html


@pytest.mark.django_db
def test_a_visitors_switch_only_sets_the_cookie(client):
    response = client.post(reverse("set_language"), {"language": "en", "next": "/accounts/login/"})
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    assert '<html lang="en"' in client.get(reverse("login")).content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["xx", "", "fr-ch", "<script>"])
def test_an_unknown_language_is_refused_with_a_message(client, client_user, language):
    client.force_login(client_user)
    response = client.post(reverse("set_language"), {"language": language})
    assert response.status_code == 400
    assert "Cette langue n" in response.content.decode()
    assert _language(client_user) == "fr"


@pytest.mark.django_db
def test_unsafe_next_goes_home(client, client_user):
    client.force_login(client_user)
    response = client.post(reverse("set_language"),
                           {"language": "en", "next": "https://elsewhere.example/"})
    assert response["Location"] == reverse("home")


@pytest.mark.django_db
def test_reference_data_in_the_readers_language_on_form_list_and_page(client, client_user):
    request = factories.make_request(client_user, priority_code="high")
    Profile.objects.filter(user=client_user).update(language="en")
    client.force_login(client_user)
    form = client.get(reverse("portal:request_create", args=["support"])).content.decode()
    assert "Vital process blocked, immediate risk of lost revenue" in form
    assert "Other / not sure" in form and "Autre / je ne sais pas" not in form
    listing = client.get(reverse("portal:home")).content.decode()
    assert "High" in listing and "Haute" not in listing
    page = client.get(reverse("portal:request", args=[request.key])).content.decode()
    assert "High" in page and ">Haute<" not in page


@pytest.mark.django_db
def test_a_changed_priority_reads_in_each_readers_language_in_the_history(client, client_user):
    request = factories.make_request(client_user, priority_code="medium")
    agent = factories.make_agent(Role.SERVICEDESK, username="agent.history")
    services.request_update_details(actor=agent, request=request,
                                    priority=factories.priority("low"))
    Profile.objects.filter(user=client_user).update(language="de")
    client.force_login(client_user)
    page = client.get(reverse("portal:request", args=[request.key])).content.decode()
    assert "Mittel" in page and "Niedrig" in page


@pytest.mark.django_db
def test_the_profile_saves_name_language_and_email_preferences(client, client_user):
    client.force_login(client_user)
    page = client.get(reverse("profile"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Mon profil" in html and 'value="confirmation_request"' in html
    response = client.post(reverse("profile"), {
        "first_name": "Anna", "last_name": "Muster", "language": "de",
        "emails_on": ["request_received", "closed"],
    })
    assert response.status_code == 302
    client_user.refresh_from_db()
    profile = Profile.objects.get(user=client_user)
    assert (client_user.first_name, client_user.last_name) == ("Anna", "Muster")
    assert profile.language == "de"
    # The confirmation request was not posted (its box is disabled) and stays on.
    assert profile.email_kinds_off == sorted(["agent_comment", "customer_reminder",
                                              "status_changed"])


@pytest.mark.django_db
def test_a_profile_with_no_name_or_a_foreign_kind_is_refused(client, client_user):
    client.force_login(client_user)
    response = client.post(reverse("profile"), {"first_name": " ", "last_name": "",
                                                "language": "fr"})
    assert response.status_code == 400
    assert "Indiquez au moins un prénom ou un nom." in response.content.decode()
    response = client.post(reverse("profile"), {"first_name": "A", "language": "fr",
                                                "emails_on": ["slo_breached"]})
    assert response.status_code == 400  # a back-office kind is not a client's choice
    assert Profile.objects.get(user=client_user).email_kinds_off == []


@pytest.mark.django_db
def test_a_kind_turned_off_is_not_sent_but_the_confirmation_request_always_is(client_user):
    request = factories.make_request(client_user)
    Profile.objects.filter(user=client_user).update(
        email_kinds_off=[NotificationKind.AGENT_COMMENT])
    agent = factories.make_agent(Role.SERVICEDESK, username="agent.prefs")
    services.comment_add(actor=agent, request=request, body="Pouvez-vous préciser ?")
    kinds = set(OutboundMessage.objects.filter(recipient=client_user)
                .values_list("kind", flat=True))
    assert NotificationKind.AGENT_COMMENT not in kinds
    assert "confirmation_request" not in Profile.objects.get(user=client_user).email_kinds_off


@pytest.mark.django_db
def test_muted_requests_are_listed_and_can_be_turned_back_on(client, client_user, org_b):
    request = factories.make_request(client_user, title="Clôture bloquée")
    services.notifications_mute_set(actor=client_user, request=request, muted=True)
    client.force_login(client_user)
    html = client.get(reverse("profile")).content.decode()
    assert request.key in html and "Clôture bloquée" in html
    response = client.post(reverse("profile"), {"action": "unmute", "request": request.key})
    assert response.status_code == 302
    assert request.key not in client.get(reverse("profile")).content.decode().split(
        "notifications-coupees")[-1]
    other = factories.make_request(factories.make_client(org_b, "autre"))
    assert client.post(reverse("profile"), {"action": "unmute",
                                            "request": other.key}).status_code == 404
