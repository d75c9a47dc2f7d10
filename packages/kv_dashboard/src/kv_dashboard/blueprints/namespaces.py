"""Namespaces and what is inside one: API keys, stored items, and the API tester."""

from __future__ import annotations

from datetime import timedelta

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

from kv_core.errors import Conflict, InvalidInput, NotFound
from kv_core.limits import LIMITS
from kv_core.model import Namespace
from kv_core.names import NAMESPACE_PATTERN
from kv_core.plans import Status
from kv_dashboard.blueprints.accounts import add_error
from kv_dashboard.context import login_required, services, user_id
from kv_dashboard.forms import ApiKeyForm, ConfirmDeleteForm, NamespaceForm

bp = Blueprint("namespaces", __name__, url_prefix="/namespaces")
ITEMS_PER_PAGE = 20


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
    now = services().config.clock()
    return (
        render_template(
            "namespaces/keys.html",
            namespace=namespace,
            form=form,
            keys=keys,
            expired={key.id for key in keys if key.expired(now)},
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
    error = None
    try:
        page = services().browse.list(
            user_id(), namespace.name, prefix=prefix, cursor=cursor, limit=ITEMS_PER_PAGE
        )
    except InvalidInput as exc:
        error, page = exc.message, None
    return (
        render_template(
            "namespaces/items.html",
            namespace=namespace,
            prefix=prefix,
            page=page,
            first_page=cursor is None,
            error=error,
            nav="namespaces",
            tab="items",
        ),
        400 if error else 200,
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
    return render_template(
        "namespaces/item.html",
        namespace=namespace,
        item=found,
        prefix=request.args.get("prefix", ""),
        nav="namespaces",
        tab="items",
    )


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
