"""The four DORA keys' performance bands (elite, high, medium, low).

The thresholds are those of the software delivery performance levels table of DORA's
*Accelerate State of DevOps Report 2023* (Google Cloud / DORA):

    level   deployment frequency             lead time          failure rate  recovery time
    elite   on demand (multiple per day)     < one day          5%            < one hour
    high    once per day to once per week    one day to a week  10%           < one day
    medium  once per week to once per month  a week to a month  15%           one day to a week
    low     once per week to once per month  a week to a month  64%           a month to six months

(checked against the published table: its low row repeats the medium row's deployment frequency
and lead time, so those two cannot tell medium from low; they are told apart below by taking
what is slower than medium as low; recovery times between a week and a month, which no row
names, are low too.)

Turned into cut points, each band's upper (or lower) end, so every figure has one band:
- deployment frequency: at least one successful deployment per day on average is "on demand"
  (elite), at least one a week high, at least one a month (30 days) medium, less is low;
- lead time: < 1 day elite, < 1 week high, < 1 month (30 days) medium, else low;
- change failure rate: the table gives each level one typical rate; a rate up to 5 % is elite,
  up to 10 % high, up to 15 % medium, above low;
- time to restore: < 1 hour elite, < 1 day high, < 1 week medium, else low.
Lead time and time to restore are banded on their median (DORA asks for the typical case, not
the mean a single outlier moves).
"""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum

DAY = timedelta(days=1)
WEEK = timedelta(days=7)
MONTH = timedelta(days=30)


class Band(StrEnum):
    """A DORA performance level."""

    ELITE = "elite"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


def frequency_band(per_day: float) -> Band:
    """Band of ``per_day`` successful deployments a day on average."""
    if per_day >= 1:
        return Band.ELITE
    if per_day >= 1 / 7:
        return Band.HIGH
    if per_day >= 1 / 30:
        return Band.MEDIUM
    return Band.LOW


def lead_time_band(median: timedelta) -> Band:
    """Band of the median lead time for changes (release created -> verified)."""
    if median < DAY:
        return Band.ELITE
    if median < WEEK:
        return Band.HIGH
    if median < MONTH:
        return Band.MEDIUM
    return Band.LOW


def failure_rate_band(rate: float) -> Band:
    """Band of the change failure rate (0..1)."""
    if rate <= 0.05:
        return Band.ELITE
    if rate <= 0.10:
        return Band.HIGH
    if rate <= 0.15:
        return Band.MEDIUM
    return Band.LOW


def restore_band(median: timedelta) -> Band:
    """Band of the median time to restore after a failed deployment."""
    if median < timedelta(hours=1):
        return Band.ELITE
    if median < DAY:
        return Band.HIGH
    if median < WEEK:
        return Band.MEDIUM
    return Band.LOW
