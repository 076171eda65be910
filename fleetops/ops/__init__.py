"""Operations: alarms, log queries, secrets, backups, notifications, reports, drills, maintenance."""
