"""The reference data's translated fields (django-modeltranslation): each gets a column per
language (``name_fr``, ``name_de``, ``name_en``) and reads in the active language, French
where a translation is missing. Discovered by modeltranslation at start-up."""

from modeltranslation.translator import TranslationOptions, register

from requests_app.models import (
    AutomationSettings,
    CannedReply,
    Category,
    ErpModule,
    Priority,
    RequestType,
)


@register(Category)
class CategoryTranslation(TranslationOptions):
    fields = ("name",)


@register(RequestType)
class RequestTypeTranslation(TranslationOptions):
    fields = ("name", "description")


@register(Priority)
class PriorityTranslation(TranslationOptions):
    fields = ("name", "signification")


@register(ErpModule)
class ErpModuleTranslation(TranslationOptions):
    fields = ("name",)


@register(CannedReply)
class CannedReplyTranslation(TranslationOptions):
    """Not reference data but a text the back office writes once per language: the one
    inserted is the customer's (``requests_app.canned_replies``)."""

    fields = ("title", "body")


@register(AutomationSettings)
class AutomationSettingsTranslation(TranslationOptions):
    """The comment of the automatic "Clore sans réponse", in the reporter's language
    (``services.automation``)."""

    fields = ("auto_close_comment",)
