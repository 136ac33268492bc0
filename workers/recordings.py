"""Recording jobs: fetch from Twilio, encrypt at rest, verify, then delete Twilio's copy."""
from __future__ import annotations

import logging

import requests

from screener.config import Settings
from screener.recording_files import sha256
from screener.store.recordings import ARCHIVED
from screener.voice.protocol import RECORDING_SID
from screener.twilio_rest import twilio_client
from workers.context import services

log = logging.getLogger("workers.recordings")


class RecordingFetchError(RuntimeError):
    """Twilio did not hand over the media (yet); RQ retries with backoff."""


def media_url(settings: Settings, recording_sid: str) -> str:
    """Built from the SID, never from a URL in a request, so a job can only ever fetch from Twilio."""
    return f"{settings.twilio_api_base}/2010-04-01/Accounts/{settings.twilio_account_sid}/Recordings/{recording_sid}.wav"


def fetch_media(settings: Settings, recording_sid: str) -> bytes:
    response = requests.get(media_url(settings, recording_sid), timeout=60,
                            auth=(settings.twilio_account_sid, settings.twilio_auth_token))
    if response.status_code != 200 or not response.content:
        raise RecordingFetchError(f"{recording_sid}: Twilio answered {response.status_code}")
    return response.content


def archive_recording(call_sid: str, recording_sid: str) -> str:
    """Keep one verified encrypted copy and remove Twilio's. Safe to run again at any step."""
    if not RECORDING_SID.fullmatch(recording_sid):
        raise ValueError(f"not a recording SID: {recording_sid!r}")
    svc = services()
    settings, recordings, files = svc.settings, svc.recordings, svc.recording_files
    record = recordings.get(recording_sid) or {}
    if record.get("state") == ARCHIVED:
        return record["sha256"]
    try:
        if record.get("sha256"):
            digest = record["sha256"]
            files.read(recording_sid, digest)  # a copy from an earlier try: prove it before deleting
        else:
            audio = fetch_media(settings, recording_sid)
            digest = sha256(audio)
            location = files.write(recording_sid, audio)
            files.read(recording_sid, digest)  # read back: nothing is deleted upstream unverified
            recordings.mark_stored(recording_sid, digest, len(audio), location)
        twilio_client(settings).recordings(recording_sid).delete()
    except Exception as exc:  # recorded for the web page, then re-raised so RQ retries the job
        recordings.note_failure(recording_sid, f"{type(exc).__name__}: {exc}")
        raise
    recordings.mark_archived(recording_sid)
    log.info("recording_archived call=%s recording=%s sha256=%s", call_sid, recording_sid, digest[:16])
    return digest
