"""Blocklist pages: search and filter, add, edit, remove, import (preview then commit), export."""
from __future__ import annotations

import hashlib
import re
import time

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, stream_with_context, url_for
from flask_babel import gettext as _, ngettext
from rq import Queue
from werkzeug.utils import secure_filename

from screener import changes, imports, lists, memory, reporting
from screener.lines import LineError
from screener.listfile import export_rows
from screener.numbers import InvalidNumber, is_prefix, needs_second_admin, parse_entry
from screener.web.number_errors import number_error
from screener.services import services
from screener.store.blocklist import prefix_fields
from screener.store.blocklist_search import START, valid_cursor
from screener.store.imports import DailyQuotaExceeded, ListImport
from screener.store.pending import PendingChange
from screener.store.proposals import Proposal
from screener.store.users import Role
from screener.web.access import actor, audit, current_user, enforce, requires
from screener.web.refusals import refusal
from screener.web.forms import (CATEGORIES, ConfirmForm, EditEntryForm, EntryForm, ImportForm, RemoveEntryForm,
                                clean_text)

bp = Blueprint("lists", __name__, url_prefix="/blocklist")
bp.before_request(enforce)
PAGE_SIZE = 50
# Recounting reads every bucket a slice at a time: about 0.4 s for a million entries.
SYNC_RECOUNT_MAX = 1_000_000
_ENTRY_PATH = re.compile(r"[0-9]{3,15}\*?")


def _import_queue() -> Queue:
    return Queue(imports.IMPORT_QUEUE, connection=services().client)


def _entry_from_path(digits: str) -> str:
    if not _ENTRY_PATH.fullmatch(digits):
        abort(404)
    return "+" + digits


def _search_digits(query: str) -> tuple[str, str | None, str | None]:
    """(digits to search by, the normalised number or prefix if the query is one, an error)."""
    query = query.strip()
    if not query:
        return "", None, None
    try:
        entry = parse_entry(query)
        return entry.lstrip("+").rstrip("*"), entry, None
    except InvalidNumber:
        pass
    digits = re.sub(r"\D", "", query)
    if not digits:
        return "", None, _("Search by digits of a number, e.g. 4567 or +375 29.")
    return digits[:15], None, None


@bp.get("/")
@requires(Role.VIEWER)
def index() -> str:
    svc = services()
    query = request.args.get("q", "")[:64]
    category = request.args.get("category", "")[:40]
    source = request.args.get("source", "")[:80]
    after = request.args.get("after", "")
    after = after if valid_cursor(after) else ""
    digits, normalised, error = _search_digits(query)
    search = services().blocklist_search
    if normalised and not is_prefix(normalised):
        page = search.number(normalised, category, source)
    else:
        page = search.page(digits, category, source, after or START, PAGE_SIZE)
    covering = []
    if normalised and not is_prefix(normalised) and not after:
        covering = svc.blocklist.get_many(["+" + p + "*" for p in prefix_fields(normalised)])
    facets = svc.blocklist.facets()
    total = svc.blocklist.count()
    proposals = svc.proposals.all() if not after else []
    filtered_total = sum(n for (c, s), n in facets.items()
                         if (not category or c == category) and (not source or s == source))
    return render_template(
        "blocklist.html", entries=page.entries, covering=covering, next_after=page.next_cursor,
        scanned_out=page.scanned_out, query=query, category=category, source=source, error=error, total=total,
        shown_total=None if digits else (filtered_total if (category or source) else total),
        categories=sorted({c for c, _ in facets}), sources=sorted({s for _, s in facets}),
        stale=sum(facets.values()) != total, first_page=not after, confirm=ConfirmForm(),
        proposals=proposals, coverage={p.entry: lists.coverage(svc, p.entry) for p in proposals},
        pending=svc.pending.all("blocklist.remove", "blocklist.edit") if not after else [],
    )


@bp.post("/pending/<change_id>/confirm")
@requires(Role.CURATOR)
def confirm_change(change_id: str) -> Response:
    """The second person of the two-person rule, for any pending change (lines and accounts: an admin)."""
    change = services().pending.get(change_id)
    if change is None or change.kind == "user.add":
        abort(404)  # a new admin is confirmed on /users, where its one-time password is shown
    try:
        changes.confirm(services(), actor(), change_id, admin=current_user().role is Role.ADMIN)
    except changes.NoChange:
        abort(404)  # or the other person was quicker
    except changes.OwnChange:
        flash(_("Another person must confirm the change you proposed."), "error")
    except changes.AdminMustDecide:
        flash(_("An admin confirms this change."), "error")
    except (lists.ListError, LineError) as exc:
        flash(_("%(target)s cannot change: %(why)s", target=change.target, why=refusal(exc)), "error")
    else:
        flash(_("The change to %(target)s is confirmed.", target=change.target), "info")
    return redirect(_page_of(change))


@bp.post("/pending/<change_id>/discard")
@requires(Role.CURATOR)
def discard_change(change_id: str) -> Response:
    change = services().pending.get(change_id)
    if change is None or (changes.KINDS[change.kind].admin_only and current_user().role is not Role.ADMIN):
        abort(404 if change is None else 403)
    try:
        changes.discard(services(), actor(), change_id)
    except changes.NoChange:
        abort(404)
    flash(_("The change to %(target)s is discarded.", target=change.target), "info")
    return redirect(_page_of(change))


def _page_of(change) -> str:
    """The page that shows changes of this kind."""
    if change.kind == "neverblock.add":
        return url_for("reports.never_block_list")
    if change.kind == "allowlist.add":
        return url_for("admin.allowlist", digits=change.target.partition(":")[0][1:])
    if change.kind.startswith("line."):
        return url_for("admin.lines")
    if change.kind.startswith("user."):
        return url_for("admin.users")
    return url_for("lists.index")


@bp.post("/proposed/<digits>/confirm")
@requires(Role.CURATOR)
def confirm_proposal(digits: str) -> Response:
    """The second curator of the two-person rule: the entry becomes active."""
    entry = _entry_from_path(digits)
    try:
        lists.confirm(services(), actor(), entry, admin=current_user().role is Role.ADMIN)
    except lists.NoProposal:
        abort(404)  # or the other curator was quicker
    except lists.OwnProposal:
        flash(_("Another curator must confirm what you proposed."), "error")
        return redirect(url_for("lists.index"))
    except lists.AdminMustConfirm:
        flash(_("A prefix covering more than 10,000 numbers is confirmed by an admin."), "error")
        return redirect(url_for("lists.index"))
    except lists.AlreadyListed:
        flash(_("%(entry)s is on the blocklist already.", entry=entry), "info")
        return redirect(url_for("lists.index", q=entry))
    except lists.VetoedRange:
        flash(_("%(entry)s now covers an allowlisted or never-block number: discard it.", entry=entry), "error")
        return redirect(url_for("lists.index"))
    flash(_("%(entry)s is on the blocklist.", entry=entry), "info")
    return redirect(url_for("lists.index", q=entry))


@bp.post("/proposed/<digits>/discard")
@requires(Role.CURATOR)
def discard_proposal(digits: str) -> Response:
    entry = _entry_from_path(digits)
    try:
        lists.discard(services(), actor(), entry)
    except lists.NoProposal:
        abort(404)
    flash(_("The proposal for %(entry)s is discarded.", entry=entry), "info")
    return redirect(url_for("lists.index"))


@bp.route("/new", methods=["GET", "POST"])
@requires(Role.CURATOR)
def add() -> Response | str:
    form = EntryForm()
    if form.validate_on_submit():
        details = lists.Details(category=clean_text(form.category.data), reason=clean_text(form.reason.data),
                                evidence=clean_text(form.evidence.data), source=clean_text(form.source.data))
        try:
            added = lists.add_or_propose(services(), actor(), form.entry.data, details,
                                         region=form.region.data or None)
        except InvalidNumber as exc:
            form.entry.errors.append(number_error(exc))
        except lists.AlreadyProposed as exc:
            form.entry.errors.append(_("%(entry)s already waits for a second curator.", entry=exc.subject))
        except lists.AlreadyListed as exc:
            form.entry.errors.append(_("%(entry)s is on the blocklist already.", entry=exc.subject))
        else:
            if isinstance(added, Proposal) and needs_second_admin(added.entry):
                flash(_("%(entry)s covers more than 10,000 numbers: it blocks nobody until a second admin "
                        "confirms it.", entry=added.entry), "info")
                return redirect(url_for("lists.index"))
            if isinstance(added, Proposal):
                flash(_("%(entry)s waits for a second curator to confirm it.", entry=added.entry), "info")
                return redirect(url_for("lists.index"))
            flash(_("%(entry)s is on the blocklist.", entry=added.entry), "info")
            return redirect(url_for("lists.index", q=added.entry))
    return render_template("entry_form.html", form=form, categories=CATEGORIES), 400 if form.errors else 200


@bp.route("/<digits>/edit", methods=["GET", "POST"])
@requires(Role.CURATOR)
def edit(digits: str) -> Response | str:
    svc = services()
    entry = _entry_from_path(digits)
    current = svc.blocklist.get(entry)
    if current is None:
        abort(404)
    meta = current.meta
    form = EditEntryForm(data={"category": meta.category, "reason": meta.reason, "evidence": meta.evidence,
                               "source": meta.source, "action": meta.action})
    if form.validate_on_submit():
        try:
            changed = lists.edit(svc, actor(), entry, category=clean_text(form.category.data),
                                 reason=clean_text(form.reason.data), evidence=clean_text(form.evidence.data),
                                 source=clean_text(form.source.data), action=form.action.data or None)
        except lists.NotListed:
            abort(404)
        except lists.AlreadyPending:
            flash(_("A change to %(entry)s already waits for a second person.", entry=entry), "info")
            return redirect(url_for("lists.index", q=entry))
        if isinstance(changed, PendingChange):
            flash(_("%(entry)s stays as it is until a second person confirms the change.", entry=entry), "info")
            return redirect(url_for("lists.index"))
        if changed:
            flash(_("%(entry)s is updated.", entry=entry), "info")
        return redirect(url_for("lists.index", q=entry))
    history = [e for e in svc.audit.entries(-2000) if e.get("target") == entry][::-1]
    return render_template("entry_edit.html", form=form, entry=current, remove=RemoveEntryForm(),
                           history=history, coverage=lists.coverage(svc, entry), categories=CATEGORIES,
                           found=reporting.explanation(svc, entry) if svc.votes.has_evidence(entry) else None), \
        400 if form.errors else 200


@bp.post("/<digits>/remove")
@requires(Role.CURATOR)
def remove(digits: str) -> Response:
    entry = _entry_from_path(digits)
    form = RemoveEntryForm()
    if not form.validate_on_submit():
        flash(_("Say why the entry is removed: the note stays in the audit log."), "error")
        return redirect(url_for("lists.edit", digits=digits))
    try:
        removed = lists.remove_or_propose(services(), actor(), entry, why=clean_text(form.why.data))
    except lists.NotListed:
        abort(404)
    except lists.AlreadyPending:
        flash(_("The removal of %(entry)s already waits for a second person.", entry=entry), "info")
        return redirect(url_for("lists.index"))
    if isinstance(removed, PendingChange):
        flash(_("%(entry)s stays blocked until a second person confirms its removal.", entry=entry), "info")
        return redirect(url_for("lists.index"))
    flash(_("%(entry)s is off the blocklist. Its last state is kept in the audit log.", entry=entry), "info")
    return redirect(url_for("lists.index"))


@bp.get("/export.csv")
@requires(Role.CURATOR)
def export() -> Response:
    svc = services()
    audit("blocklist.export", "blocklist", None, {"entries": svc.blocklist.count()})
    response = Response(stream_with_context(export_rows(svc.blocklist)), mimetype="text/csv")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="blocklist-{time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())}.csv"')
    return response


@bp.post("/reindex")
@requires(Role.ADMIN)
def reindex() -> Response:
    svc = services()
    if svc.blocklist.count() <= SYNC_RECOUNT_MAX:
        count = svc.blocklist.recount()
        flash(ngettext("The list is recounted (%(num)d entry).", "The list is recounted (%(num)d entries).", count), "info")
    else:
        imports.enqueue(_import_queue(), imports.REINDEX_JOB)
        flash(_("The list is being recounted in the background."), "info")
    audit("blocklist.reindex", "blocklist")
    return redirect(url_for("lists.index"))


# --- import ---------------------------------------------------------------------------------------


@bp.get("/import")
@requires(Role.CURATOR)
def import_form() -> str:
    return render_template("import_form.html", form=ImportForm())


@bp.post("/import")
@requires(Role.CURATOR)
def import_upload() -> Response | tuple[str, int]:
    form = ImportForm()
    if not form.validate_on_submit():
        return render_template("import_form.html", form=form), 400
    try:
        memory.refuse_when_high(services())
    except memory.RedisMemoryHigh as exc:
        form.file.errors.append(_memory_refusal(exc))
        return render_template("import_form.html", form=form), 503
    data = form.file.data.read()
    name = secure_filename(form.file.data.filename or "") or "upload.csv"
    try:
        imports.decode(data)
    except imports.ImportFileError:  # its one cause: the bytes are not UTF-8
        form.file.errors.append(_("The file is not UTF-8 text: save it from your spreadsheet as \"CSV UTF-8\" "
                                  "and upload it again."))
        return render_template("import_form.html", form=form), 400
    try:
        item = services().imports.create(owner=actor(), filename=name, data=data,
                                         sha256=hashlib.sha256(data).hexdigest(), region=form.region.data or "",
                                         source=clean_text(form.source.data),
                                         daily_limit=services().web.upload_daily_bytes)
    except DailyQuotaExceeded as exc:
        form.file.errors.append(_("You have uploaded %(used)d MB today; the daily limit is %(limit)d MB. "
                                  "Try again tomorrow (UTC), or ask an admin to import the file.",
                                  used=exc.used // 2**20, limit=exc.limit // 2**20))
        return render_template("import_form.html", form=form), 429
    if len(data) <= current_app_sync_limit():
        imports.parse(services().imports, services().blocklist, item)
    else:
        imports.enqueue(_import_queue(), imports.PARSE_JOB, item.id)
    return redirect(url_for("lists.import_status", import_id=item.id))


def _memory_refusal(exc: memory.RedisMemoryHigh) -> str:
    return _("Redis, where the service keeps its lists and calls, is %(percent)d%% full (the limit for uploads is "
             "%(threshold)d%%): new uploads and imports are refused so that calls can still be logged. The admins "
             "have been told; try again once they have freed memory.", percent=exc.percent, threshold=exc.threshold)


def current_app_sync_limit() -> int:
    return services().web.sync_import_max_bytes


def _own_import(import_id: str) -> ListImport:
    item = services().imports.get(import_id)
    user = current_user()
    if item is None or (item.owner != actor() and user.role is not Role.ADMIN):
        abort(404)
    return item


@bp.get("/import/<import_id>")
@requires(Role.CURATOR)
def import_status(import_id: str) -> str:
    item = _own_import(import_id)
    return render_template("import_status.html", item=item, confirm=ConfirmForm(),
                           alive=imports.alive(services(), item.id))


@bp.post("/import/<import_id>/commit")
@requires(Role.CURATOR)
def import_commit(import_id: str) -> Response:
    item = _own_import(import_id)
    try:
        lists.check_commit(services(), actor(), item.owner, item.filename)
    except lists.OwnImport:
        flash(_("Under the two-person rule another person commits an import: ask an admin to check the preview "
                "and commit it."), "error")
        return redirect(url_for("lists.import_status", import_id=import_id))
    try:
        memory.refuse_when_high(services())
    except memory.RedisMemoryHigh as exc:
        flash(_memory_refusal(exc), "error")
        return redirect(url_for("lists.import_status", import_id=import_id))
    store = services().imports
    # A failed or stalled commit carries on from where it stopped (rows already added are not added twice).
    if item.status == "parsed":
        claimed = store.claim(item, "parsed", "committing", committed_by=actor())
    elif item.status == "failed" and item.committed_by:
        claimed = store.claim(item, "failed", "committing", error="")
    elif item.status == "committing" and not imports.alive(services(), item.id):
        claimed = item  # its worker died: carry it on now
    else:
        claimed = None
    if claimed is None:
        flash(_("This import was committed already or is not ready."), "error")
        return redirect(url_for("lists.import_status", import_id=import_id))
    _apply(claimed)
    return redirect(url_for("lists.import_status", import_id=import_id))


def _apply(item: ListImport) -> None:
    """Commit or discard a small import in the request, a large one in a worker."""
    if item.size <= current_app_sync_limit():
        done = imports.commit(services(), item)
        if done.status == "committed":
            flash(ngettext("%(num)d entry added to the blocklist.", "%(num)d entries added to the blocklist.",
                           done.added), "info")
    else:
        imports.enqueue(_import_queue(), imports.APPLY_JOB, item.id)


@bp.post("/import/<import_id>/discard")
@requires(Role.CURATOR)
def import_discard(import_id: str) -> Response:
    item = _own_import(import_id)
    store = services().imports
    if item.status == "parsed" or (item.status == "failed" and not item.committed_by):  # none of it is listed
        if store.claim(item, {"parsed", "failed"}, "discarded", error=""):
            store.drop_file(item.id)
        return redirect(url_for("lists.import_form"))
    # Some of it was added: take off those entries (only they; ones listed before stay), even while a
    # worker is still committing it (that worker turns round) or after one died.
    claimed = store.claim(item, {"committing", "failed"}, "discarding", removed=-1, error="")
    if claimed is None and item.status == "discarding" and not imports.alive(services(), item.id):
        claimed = item
    if claimed is not None and not imports.alive(services(), item.id):
        _apply(claimed)
    return redirect(url_for("lists.import_status", import_id=import_id))
