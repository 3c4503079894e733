"""SLO configuration: business calendars, the status clock policy and the targets.

All of it is data an administrator edits in the Django admin; data migrations seed the
defaults of DESIGN.md §5. The arithmetic lives in ``slo.calendar`` (pure); a calendar row
becomes a ``WorkingCalendar`` through :meth:`BusinessCalendar.to_working_calendar`.
"""

from __future__ import annotations

import uuid
import zoneinfo
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from slo.calendar import WorkingCalendar, build_calendar, calendar_cache_clear

# The 26 cantons, as the `holidays` package codes them (its "Stadt Zurich" is a city).
CANTONS = [
    ("AG", _("Argovie")),
    ("AI", _("Appenzell Rhodes-Intérieures")),
    ("AR", _("Appenzell Rhodes-Extérieures")),
    ("BE", _("Berne")),
    ("BL", _("Bâle-Campagne")),
    ("BS", _("Bâle-Ville")),
    ("FR", _("Fribourg")),
    ("GE", _("Genève")),
    ("GL", _("Glaris")),
    ("GR", _("Grisons")),
    ("JU", _("Jura")),
    ("LU", _("Lucerne")),
    ("NE", _("Neuchâtel")),
    ("NW", _("Nidwald")),
    ("OW", _("Obwald")),
    ("SG", _("Saint-Gall")),
    ("SH", _("Schaffhouse")),
    ("SO", _("Soleure")),
    ("SZ", _("Schwytz")),
    ("TG", _("Thurgovie")),
    ("TI", _("Tessin")),
    ("UR", _("Uri")),
    ("VD", _("Vaud")),
    ("VS", _("Valais")),
    ("ZG", _("Zoug")),
    ("ZH", _("Zurich")),
]


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Lundi")
    TUESDAY = 1, _("Mardi")
    WEDNESDAY = 2, _("Mercredi")
    THURSDAY = 3, _("Jeudi")
    FRIDAY = 4, _("Vendredi")
    SATURDAY = 5, _("Samedi")
    SUNDAY = 6, _("Dimanche")


def validate_time_zone(value: str) -> None:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationError(
            _("Fuseau horaire inconnu : %(value)s (exemple : Europe/Zurich)."),
            code="invalid_time_zone",
            params={"value": value},
        ) from exc


class BusinessCalendar(models.Model):
    """Working hours in a time zone, Swiss public holidays (federal or a canton's) and extra
    closure days. The row flagged ``is_default`` is what :func:`slo.calendar.default_calendar`
    returns; at most one row carries the flag (a partial unique constraint)."""

    name = models.CharField(_("nom"), max_length=100, unique=True)
    time_zone = models.CharField(
        _("fuseau horaire"),
        max_length=64,
        default="Europe/Zurich",
        validators=[validate_time_zone],
        help_text=_("Les heures ouvrées sont des heures locales de ce fuseau."),
    )
    canton = models.CharField(
        _("canton"),
        max_length=2,
        choices=CANTONS,
        blank=True,
        help_text=_(
            "Jours fériés du canton choisi ; vide = les jours fériés fédéraux "
            "(1er janvier, Ascension, 1er août, Noël)."
        ),
    )
    is_default = models.BooleanField(_("calendrier par défaut"), default=False)
    updated_at = models.DateTimeField(_("modifié le"), auto_now=True)
    # Renewed on every change of the calendar or of its periods and closure days: the cache
    # key of default_calendar(), robust to frozen clocks and to rolled-back transactions.
    revision = models.UUIDField(_("révision"), default=uuid.uuid4, editable=False)

    class Meta:
        ordering = ["-is_default", "name"]
        verbose_name = _("calendrier ouvré")
        verbose_name_plural = _("calendriers ouvrés")
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"],
                condition=models.Q(is_default=True),
                name="slo_single_default_calendar",
                violation_error_message=_("Un autre calendrier est déjà le calendrier par défaut."),
            )
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        self.revision = uuid.uuid4()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {*update_fields, "revision", "updated_at"}
        super().save(*args, **kwargs)

    def to_working_calendar(self) -> WorkingCalendar:
        """The pure value object. Prefetch ``working_periods`` and ``closure_days`` to keep
        it at one query per relation."""
        spans: dict[int, list[tuple]] = {}
        for period in self.working_periods.all():
            spans.setdefault(period.weekday, []).append((period.start, period.end))
        return build_calendar(
            time_zone=self.time_zone,
            weekly_spans=spans,
            canton=self.canton or None,
            closures=[closure.date for closure in self.closure_days.all()],
        )


class WorkingPeriod(models.Model):
    """One span of working hours on one weekday, local wall-clock time, ``[start, end)``."""

    calendar = models.ForeignKey(
        BusinessCalendar,
        on_delete=models.CASCADE,
        related_name="working_periods",
        verbose_name=_("calendrier"),
    )
    weekday = models.PositiveSmallIntegerField(_("jour"), choices=Weekday.choices)
    start = models.TimeField(_("début"))
    end = models.TimeField(_("fin"))

    class Meta:
        ordering = ["weekday", "start"]
        verbose_name = _("plage horaire")
        verbose_name_plural = _("plages horaires")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(start__lt=models.F("end")),
                name="slo_working_period_start_before_end",
                violation_error_message=_("Le début doit précéder la fin."),
            ),
        ]

    # Set by the admin's inline formset, which checks all the calendar's rows together in
    # memory: comparing one edited row with the others' *stored* values would report overlaps
    # that the same form submission removes (08:00-12:00 split into 08:00-10:00 + 10:00-12:00).
    checked_with_siblings = False

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.start:%H:%M}–{self.end:%H:%M}"

    def clean(self) -> None:
        super().clean()
        if self.start is None or self.end is None:
            return
        if self.start >= self.end:
            raise ValidationError({"end": _("La fin doit être après le début.")}, code="order")
        if self.calendar_id is None or self.checked_with_siblings:
            return
        overlapping = (
            WorkingPeriod.objects.filter(
                calendar_id=self.calendar_id,
                weekday=self.weekday,
                start__lt=self.end,
                end__gt=self.start,
            )
            .exclude(pk=self.pk)
            .first()
        )
        if overlapping is not None:
            raise ValidationError(
                _("Cette plage chevauche la plage %(other)s."),
                code="overlap",
                params={"other": overlapping},
            )


class ClosureDay(models.Model):
    """A day the service is closed on top of the public holidays (bridge day, company event)."""

    calendar = models.ForeignKey(
        BusinessCalendar,
        on_delete=models.CASCADE,
        related_name="closure_days",
        verbose_name=_("calendrier"),
    )
    date = models.DateField(_("date"))
    label = models.CharField(_("libellé"), max_length=200)

    class Meta:
        ordering = ["date"]
        verbose_name = _("jour de fermeture")
        verbose_name_plural = _("jours de fermeture")
        constraints = [
            models.UniqueConstraint(
                fields=["calendar", "date"],
                name="slo_unique_closure_day",
                violation_error_message=_("Ce jour de fermeture existe déjà pour ce calendrier."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.date:%d.%m.%Y} – {self.label}"


class ClockAction(models.TextChoices):
    RUN = "run", _("Le compteur tourne")
    PAUSE = "pause", _("Suspendu")
    STOP = "stop", _("Stoppé")


# The request statuses (requests_app.workflow.RequestStatus) with their French labels. slo may
# not import the request app, so they are repeated here; a test checks both lists agree.
REQUEST_STATUSES = [
    ("open", _("Ouvert")),
    ("qualified", _("Qualifié")),
    ("in_progress", _("En cours")),
    ("awaiting_triage", _("En attente triage")),
    ("awaiting_rnd", _("En attente R&D")),
    ("awaiting_customer", _("En attente client")),
    ("closed", _("Fermé")),
]


class StatusClockPolicy(models.Model):
    """What the Résolution clock does while a request is in a status (run, pause or stop)."""

    status = models.CharField(_("statut"), max_length=32, unique=True, choices=REQUEST_STATUSES)
    clock_action = models.CharField(
        _("compteur SLO"), max_length=8, choices=ClockAction.choices, default=ClockAction.RUN
    )

    class Meta:
        ordering = ["pk"]
        verbose_name = _("politique du compteur par statut")
        verbose_name_plural = _("politique du compteur par statut")

    def __str__(self) -> str:
        return f"{self.get_status_display()} : {self.get_clock_action_display()}"


class ClockKind(models.TextChoices):
    FIRST_RESPONSE = "first_response", _("Première réponse")
    RESOLUTION = "resolution", _("Résolution")


class SloTarget(models.Model):
    """The business-time target of one clock for one priority, and its warning threshold."""

    priority = models.ForeignKey(
        "requests_app.Priority",
        on_delete=models.CASCADE,
        related_name="slo_targets",
        verbose_name=_("priorité"),
    )
    clock = models.CharField(_("compteur"), max_length=20, choices=ClockKind.choices)
    target_seconds = models.PositiveIntegerField(
        _("objectif (secondes ouvrées)"),
        validators=[MinValueValidator(1)],
        help_text=_("En temps ouvré : 4 h = 14 400 secondes."),
    )
    warning_ratio = models.DecimalField(
        _("seuil d'alerte"),
        max_digits=3,
        decimal_places=2,
        default=Decimal("0.75"),
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(Decimal("0.99"))],
        help_text=_("Part de l'objectif consommée qui déclenche l'alerte (0,75 = 75 %)."),
    )

    class Meta:
        ordering = ["priority__rank", "clock"]
        verbose_name = _("objectif SLO")
        verbose_name_plural = _("objectifs SLO")
        constraints = [
            models.UniqueConstraint(
                fields=["priority", "clock"],
                name="slo_unique_target_per_priority_and_clock",
                violation_error_message=_(
                    "Un objectif existe déjà pour cette priorité et ce compteur."
                ),
            )
        ]

    def __str__(self) -> str:
        return f"{self.priority} – {self.get_clock_display()}"

    @property
    def warning_seconds(self) -> int:
        """Business seconds after which the warning threshold is crossed (rounded down)."""
        return int(self.target_seconds * self.warning_ratio)


# Cache invalidation (the one use of signals STYLE.md allows): any change to a calendar's
# periods or closure days renews the calendar's revision, so every process's cached
# default_calendar() rebuilds on its next call; this process forgets it at once. Signals, not
# save() overrides, so that queryset deletes and admin inlines are covered too.
@receiver(post_save, sender=WorkingPeriod)
@receiver(post_delete, sender=WorkingPeriod)
@receiver(post_save, sender=ClosureDay)
@receiver(post_delete, sender=ClosureDay)
def _calendar_part_changed(sender, instance, **kwargs) -> None:
    BusinessCalendar.objects.filter(pk=instance.calendar_id).update(
        revision=uuid.uuid4(), updated_at=timezone.now()
    )
    calendar_cache_clear()


@receiver(post_save, sender=BusinessCalendar)
@receiver(post_delete, sender=BusinessCalendar)
def _calendar_changed(sender, instance, **kwargs) -> None:
    calendar_cache_clear()


class ClockState(models.TextChoices):
    RUNNING = "running", _("en cours")
    PAUSED = "paused", _("en pause")
    MET = "met", _("respecté")
    BREACHED = "breached", _("dépassé")


class SloClock(models.Model):
    """One SLO clock of one request (Première réponse or Résolution), as ``slo.engine`` keeps
    it: what it consumed up to its last resume, and, while it runs, the absolute instants of
    its warning and of its breach. Pages derive every figure from these at read time; the
    sweep only records crossings (``warned_at``, ``breached_at``: once each)."""

    request = models.ForeignKey(
        "requests_app.Request",
        on_delete=models.CASCADE,
        related_name="slo_clocks",
        verbose_name=_("demande"),
    )
    kind = models.CharField(_("compteur"), max_length=20, choices=ClockKind.choices)
    state = models.CharField(_("état"), max_length=10, choices=ClockState.choices)
    target_seconds = models.PositiveIntegerField(_("objectif (secondes ouvrées)"))
    warning_seconds = models.PositiveIntegerField(_("alerte après (secondes ouvrées)"))
    started_at = models.DateTimeField(_("démarré le"))
    consumed_seconds = models.PositiveIntegerField(
        _("consommé (secondes ouvrées)"),
        default=0,
        help_text=_("Jusqu'à la dernière reprise si le compteur tourne, au total sinon."),
    )
    resumed_at = models.DateTimeField(_("repris le"), null=True, blank=True)
    due_at = models.DateTimeField(_("échéance"), null=True, blank=True)
    warn_at = models.DateTimeField(_("alerte le"), null=True, blank=True)
    stopped_at = models.DateTimeField(_("arrêté le"), null=True, blank=True)
    warned_at = models.DateTimeField(_("alerte enregistrée le"), null=True, blank=True)
    breached_at = models.DateTimeField(_("dépassement enregistré le"), null=True, blank=True)

    class Meta:
        ordering = ["request_id", "kind"]
        verbose_name = _("compteur SLO")
        verbose_name_plural = _("compteurs SLO")
        constraints = [
            models.UniqueConstraint(fields=["request", "kind"], name="slo_one_clock_per_kind"),
        ]
        indexes = [
            # The sweep's two reads: running clocks whose crossing is due and not yet recorded.
            # Partial indexes hold only those rows, so a sweep never scans the table.
            models.Index(
                fields=["warn_at"],
                name="slo_clock_warn_due",
                condition=models.Q(state="running", warned_at__isnull=True),
            ),
            models.Index(
                fields=["due_at"],
                name="slo_clock_breach_due",
                condition=models.Q(state="running", breached_at__isnull=True),
            ),
            # Recomputing the open clocks after a configuration change.
            models.Index(
                fields=["state"],
                name="slo_clock_open",
                condition=models.Q(state__in=["running", "paused"]),
            ),
            # The report: clocks stopped within a period.
            models.Index(fields=["stopped_at", "kind"], name="slo_clock_stopped"),
        ]

    def __str__(self) -> str:
        return f"{self.request_id} {self.get_kind_display()} ({self.get_state_display()})"


# ------------------------------------------------------------------------------ roll-ups


class SloRollup(models.Model):
    """The SLO report's figures for one clock kind in one group, kept by ``slo.rollups``.

    ``months`` = 1: one calendar month (local time), for the month alone (``breakdown`` empty)
    or for one group of a breakdown (``breakdown`` = its name, ``group_key`` = the group): the
    verdicts, the histogram of business minutes the longer periods are merged from, and its
    median. Longer ``months`` (3, 6, 12, 24): the period ending with ``end_month``, kept for
    the current month only, without histogram. The label and ordering are those of the last
    refresh (the report asks the breakdown for the current ones)."""

    end_month = models.DateField(_("dernier mois"))
    months = models.PositiveSmallIntegerField(_("nombre de mois"), default=1)
    kind = models.CharField(_("compteur"), max_length=20, choices=ClockKind.choices)
    breakdown = models.CharField(_("répartition"), max_length=40, blank=True)
    group_key = models.CharField(_("groupe"), max_length=255, blank=True)
    group_label = models.TextField(_("libellé du groupe"), blank=True)
    ordering = models.JSONField(_("clé de tri"), default=list, blank=True)
    met = models.PositiveIntegerField(_("respectés"), default=0)
    breached = models.PositiveIntegerField(_("dépassés"), default=0)
    median_seconds = models.PositiveIntegerField(
        _("médiane (secondes ouvrées)"), null=True, blank=True
    )
    # {business minute (consumed_seconds // 60), as a string: number of clocks}.
    histogram = models.JSONField(_("histogramme (minutes ouvrées)"), default=dict, blank=True)

    class Meta:
        ordering = ["-end_month", "months", "breakdown", "group_key", "kind"]
        verbose_name = _("agrégat SLO")
        verbose_name_plural = _("agrégats SLO")
        constraints = [
            # Also the index of the report's one read: (end month, months, breakdown).
            models.UniqueConstraint(
                fields=["end_month", "months", "breakdown", "group_key", "kind"],
                name="slo_one_rollup_per_cell",
            ),
        ]

    def __str__(self) -> str:
        where = f"{self.breakdown} {self.group_key}" if self.breakdown else ""
        return f"{self.end_month:%Y-%m} ×{self.months} {where} {self.kind}"


class SloRollupChange(models.Model):
    """A month whose roll-ups are out of date: one row per change of a stopped clock, written
    in the writer's transaction. Insert-only, so that writers never wait on each other; the
    refresh that took a row into account deletes it."""

    month = models.DateField(_("mois"), db_index=True)

    class Meta:
        verbose_name = _("mois SLO à recalculer")
        verbose_name_plural = _("mois SLO à recalculer")

    def __str__(self) -> str:
        return f"{self.month:%Y-%m}"


class SloRollupState(models.Model):
    """The one row of the roll-ups' state: locked by each refresh (refreshes run one at a
    time), and the month the longer periods are kept for."""

    periods_end = models.DateField(_("périodes calculées jusqu'au mois"), null=True, blank=True)
    refreshed_at = models.DateTimeField(_("recalculé le"), null=True, blank=True)

    class Meta:
        verbose_name = _("état des agrégats SLO")
        verbose_name_plural = _("état des agrégats SLO")

    def __str__(self) -> str:
        return f"{self.periods_end or '—'}"
