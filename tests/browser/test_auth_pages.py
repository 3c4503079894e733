"""The shared layout and the account pages, in a real browser: accessible at desktop and
phone width, clear errors, redirects, and working under the portal's strict CSP."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from django.core import mail
from playwright.sync_api import Page, expect

from tests.browser.helpers import (
    DESKTOP,
    PHONE,
    assert_no_axe_violations,
    has_horizontal_overflow,
    login,
    screenshot,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LOGIN_URL = re.compile(r"/accounts/login/(\?.*)?$")


def test_login_page_passes_axe_at_desktop_and_phone_width(page: Page, live_server) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    expect(page).to_have_title(re.compile("Connexion"))
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.get_by_role("heading", level=1)).to_have_text("Connexion")
    expect(page.get_by_label("Identifiant")).to_be_visible()
    expect(page.get_by_label("Mot de passe", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Se connecter")).to_be_visible()
    expect(page.get_by_role("link", name="Mot de passe oublié ?")).to_be_visible()

    assert_no_axe_violations(page, context="login, desktop")
    screenshot(page, "login-desktop")

    page.set_viewport_size(PHONE)
    assert not has_horizontal_overflow(page), "the login page scrolls sideways at 375 px"
    assert_no_axe_violations(page, context="login, phone")
    screenshot(page, "login-phone")

    # The collapsed header still offers the language switch, behind the menu button.
    page.get_by_role("button", name="Afficher ou masquer le menu").click()
    expect(page.get_by_label("Langue")).to_be_visible()
    expect(page.locator("#spt-navbar-content")).to_have_class(re.compile(r"\bshow\b"))
    assert_no_axe_violations(page, context="login, phone, menu open")
    screenshot(page, "login-phone-menu")


def test_wrong_password_shows_a_clear_error(page: Page, live_server) -> None:
    User.objects.create_user("client.test", password="demo")

    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Identifiant").fill("client.test")
    page.get_by_label("Mot de passe", exact=True).fill("not-the-password")
    page.get_by_role("button", name="Se connecter").click()

    expect(page).to_have_url(LOGIN_URL)
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Identifiant ou mot de passe incorrect")
    # The username is kept, the password is not.
    expect(page.get_by_label("Identifiant")).to_have_value("client.test")
    expect(page.get_by_label("Mot de passe", exact=True)).to_have_value("")
    assert_no_axe_violations(page, context="login with an error")
    screenshot(page, "login-error-desktop")


def test_anonymous_visitor_of_home_is_sent_to_the_login_page(page: Page, live_server) -> None:
    page.goto(f"{live_server.url}/")

    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Connexion")
    expect(page.get_by_role("status")).to_contain_text("Connectez-vous pour accéder à cette page")


# The e-mail goes through the outbox: sent in-process here, even on the pass with a broker.
@pytest.mark.usefixtures("celery_eager")
def test_password_reset_pages_are_accessible_and_send_the_mail(page: Page, live_server) -> None:
    User.objects.create_user("reset.me", email="reset.me@example.com", password="demo")

    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_role("link", name="Mot de passe oublié ?").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mot de passe oublié")
    assert_no_axe_violations(page, context="password reset, desktop")
    screenshot(page, "password-reset-desktop")

    page.set_viewport_size(PHONE)
    assert not has_horizontal_overflow(page), "the reset page scrolls sideways at 375 px"
    assert_no_axe_violations(page, context="password reset, phone")
    screenshot(page, "password-reset-phone")

    page.set_viewport_size(DESKTOP)
    page.get_by_role("textbox").fill("reset.me@example.com")
    page.get_by_role("button", name="Envoyer le lien").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Vérifiez votre messagerie")
    assert_no_axe_violations(page, context="password reset done")

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.subject == "SPT Portal : réinitialisation de votre mot de passe"
    link = re.search(r"http://\S+/accounts/reset/\S+/", message.body)
    assert link, message.body
    assert "ne sont pas lues" in message.body

    page.goto(link.group(0))
    expect(page.get_by_role("heading", level=1)).to_have_text("Choisir un nouveau mot de passe")
    assert_no_axe_violations(page, context="password reset confirm")
    screenshot(page, "password-reset-confirm-desktop")
    page.locator("input[name=new_password1]").fill("Nouveau-mot-2026")
    page.locator("input[name=new_password2]").fill("Nouveau-mot-2026")
    page.get_by_role("button", name="Enregistrer le mot de passe").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mot de passe enregistré")
    assert_no_axe_violations(page, context="password reset complete")

    # The link served once: opening it again says so and offers a new one.
    page.goto(link.group(0))
    expect(page.get_by_role("heading", level=1)).to_have_text("Lien non valable")
    expect(page.get_by_role("link", name="Demander un nouveau lien")).to_be_visible()
    assert_no_axe_violations(page, context="password reset, used link")
    login(page, live_server, "reset.me", "Nouveau-mot-2026")


def test_signed_in_header_offers_password_change_and_logout(page: Page, live_server) -> None:
    User.objects.create_user("marie", password="demo", first_name="Marie", last_name="Dupont")
    login(page, live_server, "marie")

    page.goto(f"{live_server.url}/accounts/password_change/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Changer le mot de passe")
    menu = page.get_by_role("button", name="Marie Dupont")
    menu.click()
    expect(page.get_by_role("link", name="Changer le mot de passe")).to_be_visible()
    assert_no_axe_violations(page, context="password change, user menu open")
    screenshot(page, "password-change-desktop")

    page.set_viewport_size(PHONE)
    assert not has_horizontal_overflow(page)
    assert_no_axe_violations(page, context="password change, phone")
    screenshot(page, "password-change-phone")
    page.set_viewport_size(DESKTOP)

    page.locator("input[name=old_password]").fill("demo")
    page.locator("input[name=new_password1]").fill("Autre-mot-2026")
    page.locator("input[name=new_password2]").fill("Autre-mot-2026")
    page.get_by_role("button", name="Enregistrer le nouveau mot de passe").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mot de passe modifié")
    assert_no_axe_violations(page, context="password change done")

    page.get_by_role("button", name="Marie Dupont").click()
    page.get_by_role("button", name="Se déconnecter").click()
    expect(page).to_have_url(LOGIN_URL)
    page.goto(f"{live_server.url}/accounts/password_change/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next="))


def test_skip_link_is_the_first_stop_and_leads_to_the_content(page: Page, live_server) -> None:
    # Not the login page: its username field takes the focus on load (autofocus).
    page.goto(f"{live_server.url}/accounts/password_reset/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Aller au contenu")
    expect(skip).to_be_focused()
    expect(skip).to_be_visible()
    page.keyboard.press("Enter")
    expect(page.locator("main#contenu")).to_be_focused()


def test_language_switch_needs_its_button_and_changes_the_language(page: Page, live_server) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Langue").select_option("de")
    # Choosing alone does nothing: the visible button submits.
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    page.get_by_role("button", name="Changer").click()
    expect(page.locator("html")).to_have_attribute("lang", "de")
    expect(page).to_have_url(LOGIN_URL)
    expect(page.locator("#spt-language")).to_have_value("de")


def test_pages_work_under_the_strict_csp(strict_csp_page: Page, live_server) -> None:
    page = strict_csp_page
    page.set_viewport_size(PHONE)
    for path in ("/accounts/login/", "/accounts/password_reset/"):
        response = page.goto(f"{live_server.url}{path}")
        assert response is not None
        assert "script-src 'self'" in (response.headers.get("content-security-policy") or "")
        # htmx is loaded and configured not to inject its own <style> (blocked by the CSP).
        assert page.evaluate("() => typeof window.htmx") == "object"
        assert page.evaluate("() => window.htmx.config.includeIndicatorStyles") is False
        expect(page.locator("style")).to_have_count(0)
        # Bootstrap's script runs: the collapsed menu opens.
        page.get_by_role("button", name="Afficher ou masquer le menu").click()
        expect(page.get_by_label("Langue")).to_be_visible()
    assert page.spt_errors == []
