"""Namespaces and what is inside one: API keys, stored items, and the API tester."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user

from kv_core.errors import Conflict, InvalidInput, KVError, NotFound, PayloadTooLarge, QuotaExceeded
from kv_core.limits import LIMITS
from kv_core.metadata import nesting
from kv_core.model import Item, Namespace
from kv_core.names import NAMESPACE_PATTERN
from kv_core.numbers import is_number
from kv_core.plans import Status
from kv_dashboard.blueprints.accounts import add_error
from kv_dashboard.context import login_required, services, user_id
from kv_dashboard.formatting import pretty_json
from kv_dashboard.forms import (
    ApiKeyForm,
    ConfirmDeleteForm,
    DeletePrefixForm,
    IncrementForm,
    ItemForm,
    NamespaceForm,
)
from kv_dashboard.item_input import (
    FIELD_OF_CODE,
    Unreadable,
    read_json,
    read_number,
    read_time,
    read_ttl,
    time_field,
)

bp = Blueprint("namespaces", __name__, url_prefix="/namespaces")
ITEMS_PER_PAGE = 20
# A deletion by prefix from the dashboard removes this many pages at most per click
# (each page is the store's largest); what is left is said, and another click goes on.
DELETE_PREFIX_PAGES = 50


def badge(namespace: Namespace, storage: Status) -> tuple[str, str]:
    """A namespace card's badge: the account's storage trouble first, else whether the
    namespace holds anything."""
    if storage == "exceeded":
        return "exceeded", "Storage full"
    if storage == "warning":
        return "warning", "Storage nearly full"
    return ("ok", "Active") if namespace.item_count else ("empty", "Empty")


def render_index(form: NamespaceForm, status: int = 200) -> ResponseReturnValue:
    core = services()
    storage = core.usage.report(current_user.user).storage_status
    cards = [(ns, *badge(ns, storage)) for ns in core.namespaces.list(user_id())]
    return (
        render_template(
            "namespaces/index.html",
            form=form,
            cards=cards,
            name_pattern=NAMESPACE_PATTERN.pattern,
            name_max=LIMITS.namespace_max_chars,
            nav="namespaces",
        ),
        status,
    )


@bp.route("", methods=["GET", "POST"])
@login_required
def index() -> ResponseReturnValue:
    form = NamespaceForm()
    if form.validate_on_submit():
        name = form.name.data.strip()
        try:
            services().namespaces.create(user_id(), name)
        except (InvalidInput, Conflict) as exc:
            message = (
                f"You already have a namespace called '{name}'."
                if isinstance(exc, Conflict)
                else exc.message
            )
            add_error(form.name, message)
        else:
            flash(f"Namespace '{name}' is ready. Generate an API key to use it.", "success")
            return redirect(url_for("namespaces.keys", name=name))
    return render_index(form, 400 if form.errors else 200)


def owned(name: str) -> Namespace:
    """One of the signed-in account's namespaces; anyone else's is a 404."""
    return services().namespaces.get(user_id(), name)


def render_keys(
    namespace: Namespace, form: ApiKeyForm, created: object = None, status: int = 200
) -> ResponseReturnValue:
    keys = services().api_keys.list(user_id(), namespace.name)
    used = services().usage.key_requests(user_id()) if keys else {}
    now = services().config.clock()
    return (
        render_template(
            "namespaces/keys.html",
            namespace=namespace,
            form=form,
            keys=keys,
            expired={key.id for key in keys if key.expired(now)},
            requests={key.id: used.get(key.id, 0) for key in keys},
            created=created,
            nav="namespaces",
            tab="keys",
        ),
        status,
    )


@bp.get("/<name>")
@login_required
def keys(name: str) -> ResponseReturnValue:
    return render_keys(owned(name), ApiKeyForm())


@bp.post("/<name>/keys")
@login_required
def create_key(name: str) -> ResponseReturnValue:
    namespace = owned(name)
    form = ApiKeyForm()
    if not form.validate_on_submit():
        return render_keys(namespace, form, status=400)
    try:
        days = int(form.lifetime.data or 0)
        now = services().config.clock()
        created = services().api_keys.create(
            user_id(),
            namespace.name,
            form.name.data,
            form.access.data,
            key_prefix=form.key_prefix.data or "",
            expires_at=int((now + timedelta(days=days)).timestamp()) if days else None,
        )
    except InvalidInput as exc:
        add_error(form.key_prefix if exc.code == "invalid_key" else form.name, exc.message)
        return render_keys(namespace, form, status=400)
    # Rendered, not redirected: the raw key is shown this once, never stored or cached.
    page = make_response(
        render_keys(namespace, ApiKeyForm(formdata=None), created=created, status=201)
    )
    page.headers["Cache-Control"] = "no-store"
    return page


@bp.get("/<name>/keys")
@login_required
def keys_page(name: str) -> ResponseReturnValue:
    """Where a reloaded or bookmarked key form lands: the keys, without any raw key."""
    return redirect(url_for("namespaces.keys", name=owned(name).name))


@bp.post("/<name>/keys/<key_id>/revoke")
@login_required
def revoke_key(name: str, key_id: str) -> ResponseReturnValue:
    namespace = owned(name)
    if not any(k.id == key_id for k in services().api_keys.list(user_id(), namespace.name)):
        abort(404)
    revoked = services().api_keys.revoke(user_id(), key_id)
    flash(f"API key '{revoked.name}' ({revoked.prefix}…) is revoked.", "success")
    return redirect(url_for("namespaces.keys", name=namespace.name))


@bp.get("/<name>/items")
@login_required
def items(name: str) -> ResponseReturnValue:
    namespace = owned(name)
    prefix = request.args.get("prefix", "")
    cursor = request.args.get("cursor") or None
    reverse = request.args.get("reverse") == "1"
    error = None
    count = None
    # Read before the list, so that the list is at least as new as the position the
    # page's script follows the change feed from.
    since = services().browse.position(user_id(), namespace.name)
    try:
        page = services().browse.list(
            user_id(),
            namespace.name,
            prefix=prefix,
            cursor=cursor,
            limit=ITEMS_PER_PAGE,
            details=True,
            reverse=reverse,
        )
        count = services().browse.count(user_id(), namespace.name, prefix=prefix)
    except InvalidInput as exc:
        error, page = exc.message, None
    return (
        render_template(
            "namespaces/items.html",
            namespace=namespace,
            prefix=prefix,
            reverse=reverse,
            page=page,
            count=count,
            first_page=cursor is None,
            error=error,
            since=since,
            now=services().config.clock(),
            nav="namespaces",
            tab="items",
        ),
        400 if error else 200,
    )


NO_PREFIX = "Give the prefix of the keys to delete. To delete every item, delete the namespace."


@bp.route("/<name>/items/delete", methods=["GET", "POST"])
@login_required
def delete_prefix(name: str) -> ResponseReturnValue:
    """Delete every item whose key starts with a prefix, after a confirmation page that
    says how many there are. An empty prefix is refused: that is the namespace's own
    deletion."""
    namespace = owned(name)
    form = DeletePrefixForm(data={"prefix": request.args.get("prefix", "")})
    prefix = form.prefix.data or ""
    error = None
    if form.validate_on_submit():
        try:
            deleted, more = delete_under(namespace, prefix)
        except InvalidInput as exc:
            error = exc.message if prefix else NO_PREFIX
        else:
            said = f"{deleted:,} item{'' if deleted == 1 else 's'} under '{prefix}'"
            if more:
                flash(f"Deleted {said}; more remain: delete again to go on.", "warning")
            else:
                flash(f"Deleted {said}.", "success")
            return redirect(url_for("namespaces.items", name=namespace.name, prefix=prefix))
    elif not prefix:
        error = NO_PREFIX
    count = None
    if prefix:
        try:
            count = services().browse.count(user_id(), namespace.name, prefix=prefix)
        except InvalidInput as exc:
            error = exc.message
    return (
        render_template(
            "namespaces/delete_prefix.html",
            namespace=namespace,
            form=form,
            prefix=prefix,
            count=count,
            error=error,
            nav="namespaces",
            tab="items",
        ),
        400 if error else 200,
    )


def delete_under(namespace: Namespace, prefix: str) -> tuple[int, bool]:
    """Delete under ``prefix`` page by page, at most :data:`DELETE_PREFIX_PAGES` pages;
    how many were deleted, and whether items remain."""
    deleted, more = 0, True
    for _ in range(DELETE_PREFIX_PAGES):
        page = services().browse.delete_prefix(
            user_id(), namespace.name, prefix, limit=LIMITS.delete_prefix_max_items
        )
        deleted += page.count
        more = page.more
        if not more:
            break
    return deleted, more


def render_item(
    namespace: Namespace,
    found: Item,
    prefix: str,
    increment: IncrementForm | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    return (
        render_template(
            "namespaces/item.html",
            namespace=namespace,
            item=found,
            prefix=prefix,
            now=services().config.clock(),
            increment=(increment or IncrementForm()) if is_number(found.value) else None,
            nav="namespaces",
            tab="items",
        ),
        status,
    )


@bp.get("/<name>/item")
@login_required
def item(name: str) -> ResponseReturnValue:
    namespace = owned(name)
    key = request.args.get("key", "")
    try:
        found = services().browse.get(user_id(), namespace.name, key)
    except InvalidInput:
        abort(404)
    return render_item(namespace, found, request.args.get("prefix", ""))


# Refusals of kv_core said as the item form puts them: the form asks for a TTL and a
# time, where the API takes ``ttl`` and ``expiresAt``.
FORM_MESSAGES = {
    "invalid_ttl": (
        f"The TTL is a whole number of seconds, {LIMITS.ttl_min_seconds} to"
        f" {LIMITS.ttl_max_seconds:,}."
    ),
    "invalid_expires_at": (
        "The expiry time is in the past, or further ahead than"
        f" {LIMITS.ttl_max_seconds:,} seconds from now."
    ),
    "ttl_and_expires_at": "Give a TTL or an expiry time, not both.",
}


def fill_item_form(form: ItemForm, found: Item) -> None:
    """The form as the stored item is, so that saving it unchanged keeps it so."""
    form.key.data = found.key
    form.value.data = pretty_json(found.value)
    form.metadata.data = pretty_json(found.metadata) if found.metadata is not None else ""
    form.expires_at.data = time_field(found.expires_at) if found.expires_at else ""


def store_from_form(namespace: Namespace, form: ItemForm) -> Item | None:
    """Write what the form says; ``None`` when it was refused (the errors are on its
    fields, and nothing was written)."""
    read: dict[str, Any] = {}
    readers = (
        ("value", lambda text: read_json(text, "value")),
        ("metadata", lambda text: read_json(text, "metadata")),
        ("ttl", read_ttl),
        ("expires_at", read_time),
    )
    for name, reader in readers:
        text = form[name].data
        if text is None or not text.strip():
            read[name] = None
            continue
        try:
            read[name] = reader(text)
        except Unreadable as exc:
            add_error(form[name], str(exc))
    if form.errors:
        return None
    try:
        written, created = services().browse.put(
            user_id(),
            namespace.name,
            form.key.data,
            read["value"],
            ttl=read["ttl"],
            expires_at=read["expires_at"],
            metadata=read["metadata"],
        )
    except (InvalidInput, PayloadTooLarge, QuotaExceeded) as exc:
        field = FIELD_OF_CODE.get(exc.code, "value")
        if exc.code == "too_deep" and nesting(read["value"]) <= LIMITS.json_max_depth:
            field = "metadata"
        add_error(form[field], FORM_MESSAGES.get(exc.code, exc.message))
        return None
    flash(f"Item '{written.key}' is {'stored' if created else 'replaced'}.", "success")
    return written


@bp.route("/<name>/item/edit", methods=["GET", "POST"])
@login_required
def edit_item(name: str) -> ResponseReturnValue:
    """Store a new item, or replace one (``?key=``: the form starts as it is)."""
    namespace = owned(name)
    prefix = request.values.get("prefix", "")
    form = ItemForm()
    editing = request.args.get("key")
    if request.method == "GET" and editing:
        try:
            fill_item_form(form, services().browse.get(user_id(), namespace.name, editing))
        except (InvalidInput, NotFound):
            abort(404)
    if form.validate_on_submit():
        written = store_from_form(namespace, form)
        if written is not None:
            return redirect(
                url_for(
                    "namespaces.item", name=namespace.name, key=written.key, prefix=prefix or None
                )
            )
    return (
        render_template(
            "namespaces/edit_item.html",
            namespace=namespace,
            form=form,
            editing=editing,
            prefix=prefix,
            nav="namespaces",
            tab="items",
        ),
        400 if form.errors else 200,
    )


@bp.post("/<name>/item/increment")
@login_required
def increment_item(name: str) -> ResponseReturnValue:
    """Add a number to a number item, atomically."""
    namespace = owned(name)
    key = request.form.get("key", "")
    prefix = request.form.get("prefix", "")
    try:
        found = services().browse.get(user_id(), namespace.name, key)
    except (InvalidInput, NotFound):
        flash(f"There is no item '{key}' any more.", "error")
        return redirect(url_for("namespaces.items", name=namespace.name, prefix=prefix or None))
    form = IncrementForm()
    if form.validate_on_submit():
        try:
            found = services().browse.increment(
                user_id(), namespace.name, key, read_number(form.by.data)
            )
        except Unreadable as exc:
            add_error(form.by, str(exc))
        except KVError as exc:  # not a number any more, a sum out of range, storage full
            flash(exc.message, "error")
        else:
            flash(f"Item '{key}' is now {found.value}.", "success")
        if not form.errors:
            return redirect(
                url_for("namespaces.item", name=namespace.name, key=key, prefix=prefix or None)
            )
    return render_item(namespace, found, prefix, increment=form, status=400)


@bp.post("/<name>/item/delete")
@login_required
def delete_item(name: str) -> ResponseReturnValue:
    namespace = owned(name)
    key = request.form.get("key", "")
    try:
        services().browse.delete(user_id(), namespace.name, key)
    except (InvalidInput, NotFound):
        flash(f"There is no item '{key}' any more.", "error")
    else:
        flash(f"Item '{key}' is deleted.", "success")
    prefix = request.form.get("prefix", "")
    return redirect(url_for("namespaces.items", name=namespace.name, prefix=prefix or None))


@bp.get("/<name>/tester")
@login_required
def tester(name: str) -> ResponseReturnValue:
    return render_template(
        "namespaces/tester.html",
        namespace=owned(name),
        api_base=current_app.config["API_BASE_URL"],
        limits=LIMITS,
        nav="namespaces",
        tab="tester",
    )


@bp.route("/<name>/delete", methods=["GET", "POST"])
@login_required
def delete(name: str) -> ResponseReturnValue:
    namespace = owned(name)
    form = ConfirmDeleteForm()
    if form.validate_on_submit():
        if (form.confirm.data or "").strip() == namespace.name:
            services().namespaces.delete(user_id(), namespace.name)
            flash(
                f"Namespace '{namespace.name}' is deleted with its items and API keys.", "success"
            )
            return redirect(url_for("namespaces.index"))
        add_error(form.confirm, f"Type '{namespace.name}' exactly to delete it.")
    key_count = len(services().api_keys.list(user_id(), namespace.name))
    return (
        render_template(
            "namespaces/delete.html",
            namespace=namespace,
            form=form,
            key_count=key_count,
            nav="namespaces",
        ),
        400 if form.errors else 200,
    )
