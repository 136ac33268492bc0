"""The checkpoint job: sign the audit and evidence chains' counts and heads into the checkpoints file
(screener/checkpoints.py). It runs every CHECKPOINT_PERIOD_SECONDS (each hourly run schedules the next)
and after every SCREENER_CHECKPOINT_EVERY audit entries (queued by the append itself)."""
from __future__ import annotations

import json
import logging
import smtplib
import time

from screener import jobs
from screener.checkpoints import CHECKPOINT_PERIOD_SECONDS, Checkpoint, CheckpointError
from screener.services import Services
from workers.channels import DeliveryError, send_email
from workers.context import services

log = logging.getLogger("workers.checkpoints")


def make_checkpoint(reason: str = "hourly") -> dict[str, int]:
    """Make one checkpoint; returns each chain's signed entry count. A chain that no longer extends the
    last checkpoint is not signed: the job fails (kept in the failed registry) and says where."""
    svc = services()
    try:
        checkpoint = svc.checkpoints.make()
    except CheckpointError as exc:
        log.error("checkpoint_refused reason=%s problem=%r", reason, str(exc))
        raise
    finally:
        if reason == "hourly":
            jobs.schedule_checkpoint(svc.alerts, int(time.time()), CHECKPOINT_PERIOD_SECONDS)
    _mail(svc, checkpoint)
    counts = {name: count for name, (count, _) in checkpoint.chains.items()}
    log.info("checkpoint reason=%s line=%d %s", reason, checkpoint.line,
             " ".join(f"{name}={count}" for name, count in sorted(counts.items())))
    return counts


def _mail(svc: Services, checkpoint: Checkpoint) -> None:
    """Send a copy to each SCREENER_CHECKPOINT_EMAIL address: a copy off this host and out of Redis's reach.
    A failed delivery is logged, not retried: the checkpoint is in the file, and the next one is mailed."""
    line = json.dumps({**checkpoint.body, "signature": checkpoint.signature}, sort_keys=True)
    text = (f"{line}\n\nA signed checkpoint of the audit and evidence chains. Keep this message: "
            f"`screener verify` and anyone with the public key {checkpoint.body['key']} can check it "
            f"(README, \"Checkpoints\").\n")
    for address in svc.settings.checkpoint_email:
        try:
            send_email(svc.settings, address, f"screener checkpoint {checkpoint.at}", text)
        except (DeliveryError, OSError, smtplib.SMTPException) as exc:
            log.warning("checkpoint_unmailed to=%s error=%s", address, type(exc).__name__)
